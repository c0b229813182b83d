"""Logging to stderr (journald keeps it under systemd), or to a rotated file, with every known secret
masked: in the message, in its arguments and in the traceback."""

from __future__ import annotations

import logging
import logging.handlers
import os
import sys
from pathlib import Path

from contexten.daemon.platform.secrets import SECRETS

# A log file never grows past this many bytes times (BACKUPS + 1).
LOG_BYTES = 10 * 1024 * 1024
LOG_BACKUPS = 3


class RedactingFormatter(logging.Formatter):
    """Redacts the whole formatted record: exc_info and stack traces are formatted here, after filters."""

    def format(self, record: logging.LogRecord) -> str:
        return SECRETS.redact(super().format(record))


def setup_logging(level: str, log_file: Path | None = None) -> None:
    SECRETS.add_from_environment()
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        handler: logging.Handler = logging.handlers.RotatingFileHandler(
            log_file, maxBytes=LOG_BYTES, backupCount=LOG_BACKUPS, encoding="utf-8"
        )
    else:
        handler = logging.StreamHandler(sys.stderr)
    # Under systemd the journal adds its own timestamp.
    stamp = "" if os.environ.get("JOURNAL_STREAM") and log_file is None else "%(asctime)s "
    handler.setFormatter(RedactingFormatter(stamp + "%(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
