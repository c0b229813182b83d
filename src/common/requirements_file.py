"""Reading a requirements document from a file, for the CLI (`--requirements FILE`) and the console's
Load: the same checks and the same errors, named after the file."""

from __future__ import annotations

from pathlib import Path

from contexten.common.errors import CommandFailed
from contexten.common.protocol.delivery import MAX_REQUIREMENTS_CHARS


def read_requirements_file(source: str) -> str:
    path = Path(source).expanduser()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CommandFailed("invalid_request", f"cannot read the requirements file {source}: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise CommandFailed(
            "invalid_request", f"the requirements file {source} is not UTF-8 text (byte {exc.start})"
        ) from None
    if len(text) > MAX_REQUIREMENTS_CHARS:
        raise CommandFailed(
            "invalid_request",
            f"the requirements file {source} has {len(text)} characters; at most {MAX_REQUIREMENTS_CHARS} are taken",
        )
    return text
