"""`data_recovery`: restore a chosen backup, safely with respect to the running daemon.

The backup is checked, the current store is backed up first (so the restore can itself be undone), the
backup is staged next to the database, and the daemon restarts itself. The swap happens at start-up,
before the database is opened, so no connection ever sees a half-restored file.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contexten.daemon.flows.backup_operations import backup_dir
from contexten.daemon.platform.handle import DaemonHandle
from contexten.daemon.platform.store import backups
from contexten.daemon.slices.runs.flow import FlowSpec, StepContext, StepSpec


class RestoreParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    backup: str = Field(default="latest", description="A backup file name in the backup folder, or 'latest'.")
    directory: str | None = Field(default=None, description="The backup folder (default: <state>/backups).")


class RestoreRefused(Exception):
    pass


async def check(ctx: StepContext) -> dict[str, Any]:
    try:
        path = backups.resolve(backup_dir(ctx), ctx.params.backup)
    except backups.BackupError as exc:
        raise RestoreRefused(str(exc)) from None
    verdict = await asyncio.to_thread(backups.integrity, path)
    if verdict != "ok":
        raise RestoreRefused(f"{path.name} failed its integrity check: {verdict}; nothing was changed")
    ctx.progress(1.0, f"{path.name}: integrity_check ok")
    return {"path": str(path)}


async def safety_backup(ctx: StepContext) -> dict[str, Any]:
    made = await asyncio.to_thread(backups.create, ctx.use(DaemonHandle).database, backup_dir(ctx), ctx.clock.now())
    ctx.progress(1.0, f"current store saved as {made.path.name}")
    return {"path": str(made.path)}


async def stage(ctx: StepContext) -> dict[str, Any]:
    source, target = Path(ctx.results["check"]["path"]), backups.staged_path(ctx.use(DaemonHandle).database)
    partial = target.with_suffix(".partial")
    await asyncio.to_thread(shutil.copyfile, source, partial)
    verdict = await asyncio.to_thread(backups.integrity, partial)
    if verdict != "ok":
        partial.unlink(missing_ok=True)
        raise RestoreRefused(f"the staged copy failed its integrity check: {verdict}; nothing was changed")
    partial.replace(target)
    request = backups.staged_request_path(ctx.use(DaemonHandle).database)
    await asyncio.to_thread(request.write_text, json.dumps({"run": ctx.run.id, "backup": source.name}))
    # The backup the store is about to become must survive any rotation: it is the way back.
    await asyncio.to_thread(backups.pin_backup, source, f"restored by run {ctx.run.id}")
    ctx.progress(1.0, "staged; the daemon restarts to apply it")
    return {"staged": str(target)}


async def restart(ctx: StepContext) -> dict[str, Any]:
    ctx.use(DaemonHandle).request_restart(f"restoring {Path(ctx.results['check']['path']).name}")
    return {"restarting": True}


FLOW = FlowSpec(
    needs=(DaemonHandle,),
    name="data_recovery",
    description="Restore a checked backup of the store: back up the current one, stage, restart, swap.",
    params=RestoreParams,
    plan=lambda _p: [
        StepSpec("check", check),
        StepSpec("safety_backup", safety_backup, after=("check",)),
        StepSpec("stage", stage, after=("safety_backup",)),
        StepSpec("restart", restart, after=("stage",)),
    ],
    resumable=False,  # a staged restore is applied at the next start anyway
    category="maintenance",
)
