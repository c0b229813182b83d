"""Logging to stderr (journald keeps it under systemd) with secret values masked."""

from __future__ import annotations

import logging
import os
import sys

# Environment variables whose values must never reach a log line.
SECRET_ENV = ("GITHUB_TOKEN", "LINEAR_API_KEY", "CODEGEN_TOKEN", "CONTEXTEN_WEBHOOK_SECRET")


class RedactSecrets(logging.Filter):
    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self._secrets = [s for s in secrets if len(s) >= 4]

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            message = record.getMessage()
            for secret in self._secrets:
                message = message.replace(secret, "***")
            record.msg, record.args = message, None
        return True


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    # Under systemd the journal adds its own timestamp.
    stamp = "" if os.environ.get("JOURNAL_STREAM") else "%(asctime)s "
    handler.setFormatter(logging.Formatter(stamp + "%(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets([os.environ.get(k, "") for k in SECRET_ENV]))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
