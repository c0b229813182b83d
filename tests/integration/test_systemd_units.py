"""The unit files pass `systemd-analyze verify` with no warning line (when the tool is on the machine)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
ANALYZE = shutil.which("systemd-analyze")
pytestmark = pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze is not installed")

# verify checks that ExecStart exists, so the copies point at the contexten this test runs.
CONTEXTEN = str(Path(sys.executable).with_name("contexten"))


def _verify(unit: str, placeholder: str, tmp_path: Path, user: bool) -> subprocess.CompletedProcess[str]:
    text = (ROOT / "systemd" / unit).read_text().replace(placeholder, CONTEXTEN)
    name = "contexten.service"
    (tmp_path / name).write_text(text)
    runtime = tmp_path / "runtime"
    runtime.mkdir(mode=0o700)
    env = {**os.environ, "XDG_RUNTIME_DIR": str(runtime)}
    args = [str(ANALYZE), *(["--user"] if user else []), "verify", str(tmp_path / name)]
    return subprocess.run(args, capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize(
    ("unit", "placeholder", "user"),
    [
        ("contexten.service", "/usr/local/bin/contexten", False),
        ("contexten-user.service", "%h/.local/bin/contexten", True),
    ],
)
def test_unit_verifies_cleanly(unit: str, placeholder: str, user: bool, tmp_path: Path) -> None:
    assert Path(CONTEXTEN).exists()
    result = _verify(unit, placeholder, tmp_path, user)
    lines = [line for line in (result.stdout + result.stderr).splitlines() if line.strip()]
    assert result.returncode == 0 and lines == [], "\n".join(lines)


def test_the_check_catches_a_bad_unit(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    unit = (ROOT / "systemd" / "contexten.service").read_text().replace("Type=notify", "Type=notifyy")
    (bad / "contexten.service").write_text(unit.replace("/usr/local/bin/contexten", CONTEXTEN))
    runtime = tmp_path / "rt"
    runtime.mkdir(mode=0o700)
    result = subprocess.run(
        [str(ANALYZE), "verify", str(bad / "contexten.service")],
        capture_output=True, text=True, env={**os.environ, "XDG_RUNTIME_DIR": str(runtime)}, timeout=60,
    )  # fmt: skip
    assert "Failed to parse service type" in result.stdout + result.stderr


def test_units_declare_what_the_daemon_relies_on() -> None:
    for unit in ("contexten.service", "contexten-user.service"):
        text = (ROOT / "systemd" / unit).read_text()
        for line in ("Type=notify", "WatchdogSec=", "Restart=on-failure", "StateDirectory=contexten",
                     "RuntimeDirectory=contexten"):  # fmt: skip
            assert line in text, f"{unit} lacks {line}"


def _exposure(unit: str, tmp_path: Path) -> float:
    copy = tmp_path / unit
    copy.write_text((ROOT / "systemd" / unit).read_text())
    result = subprocess.run([str(ANALYZE), "security", "--offline=true", str(copy)], capture_output=True,
                            text=True, timeout=60)  # fmt: skip
    line = next(x for x in result.stdout.splitlines() if "Overall exposure level" in x)
    return float(line.split(":")[-1].split()[0])


@pytest.mark.parametrize(("unit", "most"), [("contexten.service", 2.0), ("contexten-user.service", 2.5)])
def test_units_are_hardened(unit: str, most: float, tmp_path: Path) -> None:
    # The system unit's goal is 2.0; the user unit's is what a user unit can take (8.0 and 9.6 before).
    assert _exposure(unit, tmp_path) <= most
