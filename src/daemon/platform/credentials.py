"""Tokens: from the environment, a systemd credential (LoadCredential=), or a file only its owner can read.
A Secret never shows its value in repr, str, logs or error messages."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from contexten.common.errors import ConfigError
from contexten.daemon.platform.secrets import SECRETS


class Secret:
    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value
        SECRETS.add(value)  # from now on no text the daemon writes can carry it

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


def load_token(
    env_var: str, credential: str, file: Path | None = None, env: dict[str, str] | None = None
) -> Secret | None:
    env = dict(os.environ) if env is None else env
    if env.get(env_var):
        return Secret(env[env_var].strip())
    directory = env.get("CREDENTIALS_DIRECTORY")
    if directory and (Path(directory) / credential).is_file():
        return Secret((Path(directory) / credential).read_text().strip())
    if file is not None and file.exists():
        mode = stat.S_IMODE(file.stat().st_mode)
        if mode & 0o077:
            raise ConfigError(str(file), "", f"token file is readable by others (mode {mode:o}); chmod 600 it")
        return Secret(file.read_text().strip())
    return None
