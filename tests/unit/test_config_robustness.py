"""A config file that is bad in the ways files go bad is refused by name, never read as the defaults."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from contexten.common.errors import ConfigError
from contexten.daemon.platform.config import load_config, parse_config


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("[daemon]\nheartbeat_seconds = 1e-9\n", "daemon.heartbeat_seconds", "greater than or equal to 0.05"),
        ("[daemon]\nshutdown_timeout_seconds = inf\n", "daemon.shutdown_timeout_seconds", "finite number"),
        ("[health]\nbus_lag_alert_ms = nan\n", "health.bus_lag_alert_ms", "finite number"),
        ("[recovery]\nmax_wait_seconds = 1e12\n", "recovery.max_wait_seconds", "less than or equal to"),
        ("[[schedules]]\nflow = 'health_check'\nevery_seconds = 0.001\n", "schedules[0].every_seconds", ">= 1"),
    ],
)
def test_durations_and_rates_have_sane_bounds(text: str, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as info:
        parse_config(text, "c.toml")
    assert info.value.key == key
    assert words.replace(">= 1", "greater than or equal to 1") in info.value.problem


def test_a_byte_order_mark_is_read_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf[daemon]\nheartbeat_seconds = 2\n")
    assert load_config(path).daemon.heartbeat_seconds == 2


def test_a_dangling_link_is_refused_not_read_as_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.symlink_to(tmp_path / "gone.toml")
    with pytest.raises(ConfigError, match="which does not exist"):
        load_config(path)


def test_a_fifo_is_refused_instead_of_hanging(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    os.mkfifo(path)
    with pytest.raises(ConfigError, match="not a regular file"):
        load_config(path)


def test_no_file_at_all_is_the_defaults(tmp_path: Path) -> None:
    assert load_config(tmp_path / "none.toml").daemon.heartbeat_seconds == 1.0
