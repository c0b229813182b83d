from __future__ import annotations

from pathlib import Path

import pytest

from contexten.common.errors import ConfigError
from contexten.common.paths import resolve_paths


def test_contexten_home_holds_everything() -> None:
    paths = resolve_paths({"CONTEXTEN_HOME": "/srv/cx"})
    assert paths.config_file == Path("/srv/cx/config.toml")
    assert paths.database == Path("/srv/cx/state/contexten.db")
    assert paths.events_endpoint == "ipc:///srv/cx/run/events.sock"


def test_xdg_directories_without_a_home() -> None:
    paths = resolve_paths({"HOME": "/home/a", "XDG_RUNTIME_DIR": "/run/user/1000"})
    assert paths.config_file == Path("/home/a/.config/contexten/config.toml")
    assert paths.state_dir == Path("/home/a/.local/state/contexten")
    assert paths.runtime_dir == Path("/run/user/1000/contexten")


def test_systemd_directories_win() -> None:
    env = {"HOME": "/home/a", "STATE_DIRECTORY": "/var/lib/contexten", "RUNTIME_DIRECTORY": "/run/contexten",
           "CONFIGURATION_DIRECTORY": "/etc/contexten"}  # fmt: skip
    paths = resolve_paths(env)
    assert (paths.state_dir, paths.runtime_dir) == (Path("/var/lib/contexten"), Path("/run/contexten"))
    assert paths.config_file == Path("/etc/contexten/config.toml")


def test_runtime_folder_is_private(tmp_path: Path) -> None:
    paths = resolve_paths({"CONTEXTEN_HOME": str(tmp_path)})
    paths.ensure()
    assert paths.runtime_dir.stat().st_mode & 0o777 == 0o700


def test_a_home_too_long_for_a_socket_is_refused_with_advice(tmp_path: Path) -> None:
    paths = resolve_paths({"CONTEXTEN_HOME": str(tmp_path / ("x" * 120))})
    with pytest.raises(ConfigError, match="set CONTEXTEN_HOME to a shorter folder"):
        paths.ensure()
