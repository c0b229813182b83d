"""docs/protocol.md, generated from the request types themselves (a test keeps the file the same).

python -m contexten.common.protocol.reference > docs/protocol.md
"""

from __future__ import annotations

import re
from typing import Any

from pydantic.fields import FieldInfo

from contexten.common.protocol.base import Request, request_types
from contexten.common.protocol.envelope import ErrorCode

_INTRO = """# The control protocol

Clients (the CLI, the console) talk to the daemon over ZeroMQ: requests on a DEALER → ROUTER pair at
`$XDG_RUNTIME_DIR/contexten/control.sock`, events on PUB → SUB at `events.sock`. A request is one JSON frame
`{"v": 1, "rid": "<id>", "cmd": "<command>", ...fields}`; its reply is `{"v": 1, "rid": "<id>", "ok": true,
"result": ...}` or `{"v": 1, "rid": "<id>", "ok": false, "error": {"code": "...", "message": "..."}}`.
Error codes: ERROR_CODES. `invalid_request` names the field; `busy` carries `retry_after` (seconds) and
nothing was done; `unavailable` means the store cannot be written and the daemon is stopping (retry with the
same key once it is back).
Control requests (`ping`, `status`, `daemon.stop`: marked *control lane* below) go to `lane.sock` beside the others,
the control lane: a socket, a thread and a read connection of their own, so a flood of other requests
cannot delay them. Sent to `control.sock` they are answered too, on a lane that the flood limits leave open.

Each request is a class `Verb(Request[Answer])` in `src/common/protocol/<slice>.py`, answered by the handler
its slice registers with `@handles(Verb)`. In Python, `await client.call(GetRun(id=3))` returns a `Run`,
checked against that type on arrival. This page is generated from those classes:
`python -m contexten.common.protocol.reference > docs/protocol.md`.
"""


def _type_name(annotation: Any) -> str:
    text = getattr(annotation, "__name__", None) if isinstance(annotation, type) else None
    text = text or str(annotation)
    text = re.sub(r"\b(?:[a-z_]+\.)+([A-Za-z_]+)", r"\1", text.replace("typing.", ""))
    return text.replace("NoneType", "None")


def _field(name: str, info: FieldInfo) -> str:
    parts = [f"`{name}`", _type_name(info.annotation)]
    if not info.is_required():
        default = info.get_default(call_default_factory=True)
        parts.append(f"default `{default!r}`")
    limits = [str(m) for m in info.metadata]
    if limits:
        parts.append(", ".join(limits))
    return " · ".join(parts)


def reference_markdown() -> str:
    codes = ", ".join(f"`{code.value}`" for code in ErrorCode)
    lines = [_INTRO.replace("ERROR_CODES", codes)]
    by_slice: dict[str, list[type[Request[Any]]]] = {}
    for _command, kind in sorted(request_types().items()):
        by_slice.setdefault(kind.__module__.rsplit(".", 1)[-1], []).append(kind)
    for slice_name, kinds in by_slice.items():
        lines += [f"## {slice_name}", ""]
        for kind in kinds:
            lines += [f"### `{kind.command()}` — {kind.__name__}", ""]
            fields = [_field(n, f) for n, f in kind.model_fields.items() if n != "cmd"]
            lines += [f"- {f}" for f in fields] or ["- no fields"]
            lane = " · *control lane* (`lane.sock`)" if kind.lane else ""
            lines += ["", f"Answer: `{_type_name(kind.response_type())}`{lane}", ""]
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":
    print(reference_markdown(), end="")
