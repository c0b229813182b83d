"""Where a contexten home keeps its config, database, sockets and logs.

`CONTEXTEN_HOME` puts everything under one folder, so tests and users can run isolated daemons side by
side. Without it the XDG base directories are used, and systemd's `STATE_DIRECTORY` /
`RUNTIME_DIRECTORY` / `CONFIGURATION_DIRECTORY` win when the daemon runs as a service.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from contexten.common.errors import ConfigError

# sun_path is 108 bytes on Linux, including the trailing NUL.
MAX_IPC_PATH = 107


@dataclass(frozen=True)
class Paths:
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
    def events_endpoint(self) -> str:
        return "ipc://" + str(self.events_socket)

    @property
    def control_endpoint(self) -> str:
        return "ipc://" + str(self.control_socket)

    def ensure(self) -> None:
        """Create the folders; the runtime folder holds the sockets and is private to the owner."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.config_file.parent.mkdir(parents=True, exist_ok=True)
        self.runtime_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.runtime_dir, 0o700)
        for sock in (self.events_socket, self.control_socket):
            if len(str(sock)) > MAX_IPC_PATH:
                raise ConfigError(
                    str(sock),
                    "",
                    f"socket path is {len(str(sock))} bytes, longer than the {MAX_IPC_PATH} a unix socket allows;"
                    " set CONTEXTEN_HOME to a shorter folder",
                )


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
        runtime = str(Path(xdg_runtime) / "contexten") if xdg_runtime else f"/tmp/contexten-{os.getuid()}"
    # systemd may pass several colon-separated directories; the first is ours.
    return Paths(
        config_file=Path(str(config_dir).split(":")[0]) / "config.toml",
        state_dir=Path(str(state_dir).split(":")[0]),
        runtime_dir=Path(runtime.split(":")[0]),
    )
