from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from tests.helpers import DaemonProcess, short_home

# Machines here are shared and noisy: no per-example deadline, no complaint about slow generation.
settings.register_profile("contexten", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("contexten")

# Fast sampling and heartbeats so live views have something to show within a test's patience.
FAST_CONFIG = """
[daemon]
heartbeat_seconds = 0.2
shutdown_timeout_seconds = 5

[health]
sample_interval_seconds = 0.5
"""

# For tests that assert a health verdict: no threshold can be crossed, whatever else the machine is doing
# (CI's CPU may read 100%). Tests of the alerts set their own thresholds.
CALM_HEALTH = """
cpu_alert_percent = 100
memory_alert_percent = 100
disk_alert_percent = 100
"""


@pytest.fixture
def home() -> Iterator[Path]:
    path = short_home()
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def daemon(home: Path) -> Iterator[DaemonProcess]:
    proc = DaemonProcess(home, FAST_CONFIG).start()
    yield proc
    proc.stop()


@pytest.fixture
def git_repo(home: Path) -> Path:
    repo = home / "repo"
    repo.mkdir()
    env = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.invalid", "PATH": "/usr/bin:/bin"}  # fmt: skip
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=env)
    (repo / "README.md").write_text("hello\n")
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True, env=env)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "first"], check=True, env=env)
    return repo
