"""The console's own log file, for what it cannot show on screen: the traceback of an unexpected error.

The terminal is the console's screen, so nothing may be written to stderr. The file sits in the state
folder (rotated, two files of 1 MB); where that is not writable, errors are still shown, just not kept.
"""

from __future__ import annotations

import logging
from logging.handlers import RotatingFileHandler
from pathlib import Path

log = logging.getLogger("contexten.tui")
MAX_BYTES = 1_000_000


def open_console_log(state_dir: Path) -> Path | None:
    """Log the console's errors to <state>/console.log; the path, or None if it cannot be written."""
    path = state_dir / "console.log"
    try:
        state_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler = RotatingFileHandler(path, maxBytes=MAX_BYTES, backupCount=1, encoding="utf-8")
    except OSError:
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    log.propagate = False  # never to the root logger's stderr: that is the screen
    return path
