"""The constants of the wire and the request frame itself, free of pydantic: the blocking lane client
(`contexten status` in a fresh process) builds its request from these without loading any model."""

from __future__ import annotations

import json
from typing import Any

PROTOCOL_VERSION = 1
EVENT_TOPIC = b"ev"
HEARTBEAT_TOPIC = b"hb"


def request_frame(request_id: str, fields: dict[str, Any]) -> bytes:
    """One request as it travels: the command's fields (its `cmd` among them), the version and the id."""
    return json.dumps({**fields, "v": PROTOCOL_VERSION, "rid": request_id}).encode()
