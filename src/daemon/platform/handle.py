"""What a flow may know about the daemon process itself: where its store and bus are, and how to ask it to
restart (the recovery and backup flows need these, nothing else does)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class DaemonHandle:
    database: Path
    events_endpoint: str
    # How many events are queued but not yet stored (the bus-lag probe reports it).
    backlog: Callable[[], int]
    # Shut down gracefully and start again in the same process (data_recovery's restore).
    request_restart: Callable[[str], None]
