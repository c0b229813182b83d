"""Printing results: one JSON document with --json, short readable text otherwise."""

from __future__ import annotations

import json
import sys
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from contexten.common.models import Run


def to_jsonable(value: Any) -> Any:
    if hasattr(value, "model_dump"):  # a pydantic model (not imported for this: `--version` must stay quick)
        return value.model_dump(mode="json")
    if isinstance(value, list):
        return [to_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: to_jsonable(v) for k, v in value.items()}
    return value


def emit_json(value: Any) -> None:
    sys.stdout.write(json.dumps(to_jsonable(value), separators=(",", ":")) + "\n")
    sys.stdout.flush()


def error(message: str) -> None:
    sys.stderr.write(f"contexten: {message}\n")


def clock(ts: float | None) -> str:
    return time.strftime("%H:%M:%S", time.localtime(ts)) if ts else "-"


def duration(start: float | None, end: float | None) -> str:
    if start is None:
        return "-"
    seconds = (end or time.time()) - start
    return f"{seconds * 1000:.0f}ms" if seconds < 1 else f"{seconds:.1f}s"


def format_run(run: Run) -> str:
    head = f"run {run.id}  {run.flow}  {run.state.value}"
    if run.project:
        head += f"  project {run.project}"
    lines = [head, f"  created {clock(run.created_at)}  took {duration(run.started_at, run.ended_at)}"]
    if run.error:
        lines.append(f"  error: {run.error}")
    lines.append(f"  {'#':>3}  {'step':<24} {'state':<10} {'tries':>5}  {'started':<8}  {'took':>8}")
    for s in run.steps:
        lines.append(
            f"  {s.index + 1:>3}  {s.name:<24} {s.state.value:<10} {s.attempts:>5}  {clock(s.started_at):<8}"
            f"  {duration(s.started_at, s.ended_at):>8}" + (f"  {s.error}" if s.error else "")
        )
    return "\n".join(lines)
