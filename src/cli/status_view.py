"""`contexten status`: the daemon's status from the control lane, checked and printed.

This path loads no model (see `client/lane_call.py`), so the answer is checked here, field by field, for
exactly what is printed; a daemon that sends something else gets an error naming the field, never a
traceback. `StatusInfo` stays the answer's contract: a test holds the two together."""

from __future__ import annotations

import argparse
from typing import Any

from contexten.cli.output import emit_json
from contexten.client.lane_call import call_lane
from contexten.common.errors import ProtocolError
from contexten.common.paths import Paths


def show_status(args: argparse.Namespace, paths: Paths) -> int:
    info = call_lane(paths, "status")
    lines = status_lines(info)
    if args.json:
        emit_json(info)
    else:
        print("\n".join(lines))
    return 0


def status_lines(info: Any) -> list[str]:
    """The text of `contexten status`, or ProtocolError naming the first field that is not as it should be."""
    doc = _object(info, "(answer)")
    runs = _object(doc.get("runs_by_state"), "runs_by_state")
    counts = {state: _number(runs, state, int, "runs_by_state.") for state in runs}
    lines = [
        f"contexten {_text(doc, 'version')}  pid {_number(doc, 'pid', int)}  "
        f"up {_number(doc, 'uptime_seconds', float):.0f}s  home {_text(doc, 'home')}",
        f"events: {_number(doc, 'last_seq', int)}   runs: "
        + (", ".join(f"{state} {n}" for state, n in sorted(counts.items())) or "none"),
    ]
    projects = doc.get("projects")
    if not isinstance(projects, list):
        raise _bad("projects", "a list")
    lines.append("projects:" if projects else "projects: none pinned (`contexten pin PATH`)")
    for i, item in enumerate(projects):
        where = f"projects[{i}]."
        p = _object(item, f"projects[{i}]")
        lines.append(f"  {_text(p, 'id', where):<20} {_text(p, 'kind', where):<7} {_text(p, 'health', where):<8} "
                     f"{_text(p, 'location', where)}")  # fmt: skip
    return lines


def _object(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _bad(where, "an object")
    return value


def _text(doc: dict[str, Any], key: str, where: str = "") -> str:
    value = doc.get(key)
    if not isinstance(value, str):
        raise _bad(where + key, "text")
    return value


def _number(doc: dict[str, Any], key: str, kind: type[int] | type[float], where: str = "") -> Any:
    value = doc.get(key)
    wanted = (int,) if kind is int else (int, float)
    if isinstance(value, bool) or not isinstance(value, wanted):
        raise _bad(where + key, "an integer" if kind is int else "a number")
    return value


def _bad(field: str, wanted: str) -> ProtocolError:
    return ProtocolError("bad_reply", f"status: the daemon's answer does not match its type: {field} is not {wanted}")
