"""`backup_operations`: an online SQLite backup, checked with integrity_check, then rotation."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contexten.daemon.platform.handle import DaemonHandle
from contexten.daemon.platform.store import backups
from contexten.daemon.slices.runs.flow import FlowSpec, StepContext, StepSpec


class BackupParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    keep: int = Field(default=7, ge=1, le=1000, description="How many verified backups to keep.")
    # Shown as a field label in the console's start dialog: short enough not to be cut.
    directory: str | None = Field(default=None, description="Where backups go (relative: under state/).")


class BackupFailed(Exception):
    pass


def backup_dir(ctx: StepContext) -> Path:
    state = ctx.use(DaemonHandle).database.parent
    # A relative directory is under the state folder, never the daemon's working directory (/ under systemd).
    return state / ctx.params.directory if ctx.params.directory else state / "backups"


async def snapshot(ctx: StepContext) -> dict[str, Any]:
    ctx.progress(0.1, "copying with the SQLite backup API")
    made = await asyncio.to_thread(backups.create, ctx.use(DaemonHandle).database, backup_dir(ctx), ctx.clock.now())
    ctx.progress(1.0, f"{made.path.name}, {made.size_bytes / 1e6:.1f} MB, up to seq {made.last_seq}")
    return {"path": str(made.path), "last_seq": made.last_seq, "size_bytes": made.size_bytes,
            "integrity": made.integrity}  # fmt: skip


async def verify(ctx: StepContext) -> dict[str, Any]:
    path = Path(ctx.results["snapshot"]["path"])
    verdict = await asyncio.to_thread(backups.integrity, path)
    if verdict != "ok":
        raise BackupFailed(f"{path.name} failed its integrity check: {verdict}")
    ctx.progress(1.0, "integrity_check ok")
    return {"integrity": verdict}


async def rotate(ctx: StepContext) -> dict[str, Any]:
    removed = await asyncio.to_thread(backups.rotate, backup_dir(ctx), ctx.params.keep)
    ctx.progress(1.0, f"kept {ctx.params.keep}, removed {len(removed)}")
    return {"removed": [p.name for p in removed]}


FLOW = FlowSpec(
    needs=(DaemonHandle,),
    name="backup_operations",
    description="Online SQLite backup of the daemon's store, integrity-checked, with rotation.",
    params=BackupParams,
    plan=lambda _p: [
        StepSpec("snapshot", snapshot),
        StepSpec("verify", verify, after=("snapshot",)),
        StepSpec("rotate", rotate, after=("verify",)),
    ],
    category="maintenance",
    templates={"keep-30": ("Keep a month of daily backups", {"keep": 30})},
)
