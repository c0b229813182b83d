"""A live config that goes bad the way files go bad (deleted, caught mid-save, replaced by a FIFO) leaves
the last good config in force and says so; the daemon's templates and schedules stay."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from tests.conftest import FAST_CONFIG
from tests.helpers import DaemonProcess, cli, cli_json, wait_for

GOOD = FAST_CONFIG + '\n[[templates]]\nname = "tiny"\nflow = "synthetic"\nparams = { steps = 1, step_ms = 0 }\n'


def _errors(home: Path) -> list[dict[str, Any]]:
    lines = cli(home, "events", "--json").stdout.splitlines()
    return [e["data"] for e in map(json.loads, lines) if e["kind"] == "config.error"]


def _has_template(home: Path) -> bool:
    flows = {f["name"]: f for f in cli_json(home, "flows")}
    return any(t["name"] == "tiny" for t in flows["synthetic"]["templates"])


def test_a_deleted_emptied_or_fifo_config_keeps_the_last_good_one(home: Path) -> None:
    daemon = DaemonProcess(home, GOOD).start()
    config = daemon.paths.config_file
    try:
        assert _has_template(home)
        config.unlink()
        wait_for(lambda: any("file is gone" in e["message"] for e in _errors(home)), 15, "the deletion noticed")
        config.write_text("")  # what a truncate-then-write save looks like in between
        wait_for(lambda: any("file is empty" in e["message"] for e in _errors(home)), 15, "the empty file noticed")
        config.unlink()
        os.mkfifo(config)
        wait_for(lambda: any("not a regular file" in e["message"] for e in _errors(home)), 15, "the FIFO refused")
        assert _has_template(home), "the last good config was dropped"
        assert cli_json(home, "status")["pid"] == daemon.pid
        config.unlink()
        config.write_text(GOOD.replace('name = "tiny"', 'name = "small"'))
        wait_for(lambda: not _has_template(home), 15, "a good edit to be taken again")
    finally:
        daemon.stop()
