"""Secrets kept in: every secret value the daemon holds is known here, so any text that came from outside
(a remote service's error, a traceback, a child's output) can be cleaned of them before it is stored,
logged, published or shown; and child processes get an allow-listed environment, never the daemon's.

The registry is process-wide on purpose: a secret is loaded once (a token, a webhook key) and from then on
every place that writes text must be able to redact it, without threading a handle to each of them.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping

# Variables whose values are secrets wherever they appear (also used when a token is loaded).
SECRET_ENV = ("GITHUB_TOKEN", "LINEAR_API_KEY", "CODEGEN_TOKEN", "CONTEXTEN_WEBHOOK_SECRET", "SLACK_BOT_TOKEN")
# What a child process gets of the daemon's environment. Anything else (tokens included) it does not see,
# unless a step passes a secret by name.
CHILD_ENV_ALLOWED = frozenset(
    {"PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM", "VIRTUAL_ENV",
     "SSH_AUTH_SOCK", "GIT_CONFIG_GLOBAL", "GIT_CONFIG_NOSYSTEM", "XDG_CONFIG_HOME", "XDG_CACHE_HOME"}
)  # fmt: skip
_ALLOWED_PREFIXES = ("LC_",)
MASK = "***"
_MIN_LENGTH = 6  # shorter values would mask ordinary words


class SecretRegistry:
    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()  # the analysis and the store write from worker threads too

    def add(self, value: str | None) -> None:
        if not value or len(value) < _MIN_LENGTH:
            return
        with self._lock:
            if value in self._values:
                return
            self._values.add(value)
            # Longest first, so a secret that contains another is masked whole.
            alternatives = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in alternatives))

    def add_from_environment(self, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        for name in SECRET_ENV:
            self.add(env.get(name, "").strip())

    def redact(self, text: str) -> str:
        pattern = self._pattern
        return pattern.sub(MASK, text) if pattern is not None and text else text


SECRETS = SecretRegistry()


def redact(text: str) -> str:
    return SECRETS.redact(text)


def child_environment(
    extra: Mapping[str, str] | None = None, secrets: tuple[str, ...] = (), env: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The environment for a child process: the allow-listed variables of ours, the secrets a step asked
    for by name, then `extra`."""
    env = os.environ if env is None else env
    out = {k: v for k, v in env.items() if k in CHILD_ENV_ALLOWED or k.startswith(_ALLOWED_PREFIXES)}
    out.update({name: env[name] for name in secrets if name in env})
    out.update(extra or {})
    return out
