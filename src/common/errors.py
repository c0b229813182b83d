"""One exception tree for everything contexten raises on purpose."""

from __future__ import annotations


class ContextenError(Exception):
    """Base of every error contexten raises deliberately."""


class ConfigError(ContextenError):
    """A configuration file is missing a value, has a wrong one, or does not parse."""

    def __init__(self, path: str, key: str, problem: str) -> None:
        self.path = path
        self.key = key
        self.problem = problem
        where = f"{path}: {key}" if key else path
        super().__init__(f"{where}: {problem}")


class ProtocolError(ContextenError):
    """A message on the wire could not be understood."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class DaemonUnreachable(ContextenError):
    """No daemon answered on the control socket in time."""


class UntrustedDaemon(DaemonUnreachable):
    """Something answers on the control socket, but it is not ours to trust (another user's socket)."""


class CommandFailed(ContextenError):
    """The daemon understood a command and refused or failed it."""

    def __init__(self, code: str, message: str) -> None:
        self.code = code
        super().__init__(message)


class StoreError(ContextenError):
    """The database (or a backup staged to replace it) is unusable: corrupt, from a newer contexten, unreadable."""


class AlreadyRunning(ContextenError):
    """Another daemon holds the lock for this home."""
