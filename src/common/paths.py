"""Where a contexten home keeps its config, database, sockets and logs.

`CONTEXTEN_HOME` puts everything under one folder, so tests and users can run isolated daemons side by
side. Without it the XDG base directories are used, and systemd's `STATE_DIRECTORY` /
`RUNTIME_DIRECTORY` / `CONFIGURATION_DIRECTORY` win when the daemon runs as a service.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import NamedTuple

from contexten.common.errors import ConfigError, DaemonUnreachable, UntrustedDaemon

# sun_path is 108 bytes on Linux, including the trailing NUL.
MAX_IPC_PATH = 107
# The system unit's RuntimeDirectory: `sudo -u contexten contexten tui` has no XDG_RUNTIME_DIR and no
# RUNTIME_DIRECTORY, and must still find the system daemon's sockets here.
SYSTEM_RUNTIME_DIR = Path("/run/contexten")


def check_private_dir(path: Path) -> None:
    """Refuse a folder another user could have prepared for us: one that is a symlink, not a folder, not
    ours, or writable by others. One that is ours but readable by others is made private (0700)."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return
    what = None
    if stat.S_ISLNK(info.st_mode):
        what = "is a symbolic link"
    elif not stat.S_ISDIR(info.st_mode):
        what = "is not a folder"
    elif info.st_uid != os.geteuid():
        what = f"belongs to uid {info.st_uid}, not to you (uid {os.geteuid()})"
    elif info.st_mode & 0o022:
        what = f"can be written by others (mode {stat.S_IMODE(info.st_mode):o})"
    if what is not None:
        raise ConfigError(
            str(path), "", f"{what}; refusing to keep sockets or state there. Remove it (or set XDG_RUNTIME_DIR "
            "or CONTEXTEN_HOME to a folder of your own) and start again",
        )  # fmt: skip
    if stat.S_IMODE(info.st_mode) != 0o700:
        os.chmod(path, 0o700)


class Paths(NamedTuple):  # not a dataclass: `dataclasses` (with `inspect`) is 14 ms of `contexten status`
    config_file: Path
    state_dir: Path
    runtime_dir: Path

    @property
    def database(self) -> Path:
        return self.state_dir / "contexten.db"

    @property
    def analysis_cache(self) -> Path:
        return self.state_dir / "analysis.db"

    @property
    def log_file(self) -> Path:
        return self.state_dir / "daemon.log"

    @property
    def lock_file(self) -> Path:
        return self.runtime_dir / "daemon.lock"

    @property
    def events_socket(self) -> Path:
        return self.runtime_dir / "events.sock"

    @property
    def control_socket(self) -> Path:
        return self.runtime_dir / "control.sock"

    @property
    def lane_socket(self) -> Path:
        """The control lane's own socket (`ping`, `status`, `daemon.stop`), served on a thread of its own."""
        return self.runtime_dir / "lane.sock"

    @property
    def lane_endpoint(self) -> str:
        return "ipc://" + str(self.lane_socket)

    @property
    def events_endpoint(self) -> str:
        return "ipc://" + str(self.events_socket)

    @property
    def control_endpoint(self) -> str:
        return "ipc://" + str(self.control_socket)

    def ensure(self) -> None:
        """Create the folders, private to the owner (the state holds the event log, the runtime folder the
        sockets); refuse ones another user could have prepared (`check_private_dir`)."""
        for folder in (self.runtime_dir, self.state_dir):
            check_private_dir(folder)
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            check_private_dir(folder)  # created between our look and our mkdir by someone else: still refused
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        for sock in (self.events_socket, self.control_socket, self.lane_socket):
            if len(str(sock)) > MAX_IPC_PATH:
                raise ConfigError(
                    str(sock),
                    "",
                    f"socket path is {len(str(sock))} bytes, longer than the {MAX_IPC_PATH} a unix socket allows;"
                    " set CONTEXTEN_HOME to a shorter folder",
                )


def trust_socket(path: Path) -> None:
    """Before a client sends anything: the control socket must exist and be ours. Another local user who
    got to the runtime folder first could otherwise serve a fake daemon and read every command we send."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        raise DaemonUnreachable(f"no daemon is listening on {path}") from None
    except PermissionError:
        raise DaemonUnreachable(
            f"cannot reach {path}: permission denied (the daemon runs as another user; run this as that user, "
            "for the system service: sudo -u contexten contexten ...)"
        ) from None
    if not stat.S_ISSOCK(info.st_mode):
        raise UntrustedDaemon(f"{path} is not a socket; refusing to talk to it")
    if info.st_uid != os.geteuid():
        raise UntrustedDaemon(
            f"refusing to talk to {path}: it belongs to uid {info.st_uid}, not to you (uid {os.geteuid()}); "
            "another user may be impersonating the daemon"
        )


def _owned_by_me(path: Path) -> bool:
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.geteuid()


def resolve_paths(env: dict[str, str] | None = None) -> Paths:
    env = dict(os.environ) if env is None else env
    home = env.get("CONTEXTEN_HOME")
    if home:
        root = Path(home).expanduser().absolute()
        return Paths(config_file=root / "config.toml", state_dir=root / "state", runtime_dir=root / "run")
    user_home = Path(env.get("HOME", str(Path.home())))
    config_dir = Path(
        env.get("CONFIGURATION_DIRECTORY") or Path(env.get("XDG_CONFIG_HOME", user_home / ".config")) / "contexten"
    )
    state_dir = Path(
        env.get("STATE_DIRECTORY") or Path(env.get("XDG_STATE_HOME", user_home / ".local/state")) / "contexten"
    )
    runtime = env.get("RUNTIME_DIRECTORY")
    if not runtime:
        xdg_runtime = env.get("XDG_RUNTIME_DIR")
        if xdg_runtime:
            runtime = str(Path(xdg_runtime) / "contexten")
        elif _owned_by_me(SYSTEM_RUNTIME_DIR):
            runtime = str(SYSTEM_RUNTIME_DIR)  # the system service's user, as `sudo -u contexten`
        else:
            runtime = f"/tmp/contexten-{os.getuid()}"
    # systemd may pass several colon-separated directories; the first is ours.
    return Paths(
        config_file=Path(str(config_dir).split(":")[0]) / "config.toml",
        state_dir=Path(str(state_dir).split(":")[0]),
        runtime_dir=Path(runtime.split(":")[0]),
    )
