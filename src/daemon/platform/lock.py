"""One daemon per home: an exclusive flock on a file in the runtime folder.

Binding a second daemon to the same ipc:// path would silently steal the socket from the first, so the
lock is taken before anything binds. The kernel drops the lock when the process dies, however it dies.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from contexten.common.errors import AlreadyRunning


class InstanceLock:
    def __init__(self, path: Path) -> None:
        self._path = path
        self._fd: int | None = None

    def acquire(self) -> None:
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 32).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise AlreadyRunning(
                f"another contexten daemon (pid {holder}) is already running for this home ({self._path.parent})"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def lock_holder(path: Path) -> int | None:
    """The pid holding the lock, or None when no daemon holds it."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return None
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        text = os.read(fd, 32).decode(errors="replace").strip()
        return int(text) if text.isdigit() else -1
    finally:
        os.close(fd)
    return None


class StoreLock:
    """An exclusive flock on the database file itself. The runtime lock can be deleted from under a running
    daemon (a cleaner of /tmp, a careless `rm`); this one cannot be taken away while the store is open, so a
    second daemon on the same store refuses to start instead of writing over the first one's seq numbers.

    flock and SQLite's own POSIX locks do not interact on Linux. The descriptor stays open until the store is
    closed (closing another descriptor of the file earlier would drop SQLite's locks)."""

    def __init__(self, database: Path) -> None:
        self._path = database
        self._fd: int | None = None
        self.identity: tuple[int, int] | None = None  # (device, inode) of the file that was opened

    def acquire(self) -> None:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise AlreadyRunning(
                f"another contexten daemon has the store {self._path} open (its runtime lock may have been "
                "removed); stop that daemon first"
            ) from None
        info = os.fstat(fd)
        self.identity = (info.st_dev, info.st_ino)
        self._fd = fd

    def still_ours(self) -> bool:
        """Whether the path still names the file we opened (not deleted, not replaced)."""
        try:
            info = os.stat(self._path)
        except FileNotFoundError:
            return False
        return (info.st_dev, info.st_ino) == self.identity

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
