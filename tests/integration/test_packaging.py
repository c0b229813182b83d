"""The wheel carries every subpackage and data file, installs nothing at top level but `contexten`, and
works when installed normally (not only in editable mode)."""

from __future__ import annotations

import fcntl
import hashlib
import os
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    out = tmp_path_factory.mktemp("dist")
    # Two test workers building in one checkout at once would share its build/ and egg-info folders.
    lock_path = Path(tempfile.gettempdir()) / f"contexten-wheel-{hashlib.sha256(bytes(ROOT)).hexdigest()[:12]}.lock"
    with open(lock_path, "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        subprocess.run(
            [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(ROOT)],
            check=True, capture_output=True, timeout=600,
        )  # fmt: skip
    (path,) = out.glob("contexten-*.whl")
    yield path


def expected_packages() -> set[str]:
    found = {"contexten"}
    for folder, package in [("common", "common"), ("daemon", "daemon"), ("tui", "tui"), ("client", "client"),
                            ("cli", "cli")]:  # fmt: skip
        for init in (ROOT / "src" / folder).rglob("__init__.py"):
            rel = init.parent.relative_to(ROOT / "src" / folder)
            found.add(".".join(["contexten", package, *rel.parts]))
    return found


def test_the_wheel_holds_every_subpackage_and_data_file(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    packages = {os.path.dirname(n).replace("/", ".") for n in names if n.endswith("__init__.py")}
    assert expected_packages() <= packages
    tops = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert tops == {"contexten"}, "nothing but contexten may be installed at top level"
    for data in ("contexten/tui/contexten.tcss", "contexten/config/contexten.example.toml", "contexten/py.typed"):
        assert data in names
    entry_points = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("entry_points.txt"))).decode()
    assert "contexten = contexten.cli.main:main" in entry_points


def test_a_normal_install_imports_and_finds_its_data(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--target", str(target), str(wheel)],
        check=True, timeout=300,
    )  # fmt: skip
    probe = """
import importlib.resources, sys
import contexten, contexten.daemon.app, contexten.tui.app, contexten.cli.main
assert contexten.__file__.startswith(sys.argv[1]), contexten.__file__
assert "[daemon]" in importlib.resources.files("contexten.config").joinpath("contexten.example.toml").read_text()
assert "#topbar" in importlib.resources.files("contexten.tui").joinpath("contexten.tcss").read_text()
print("ok")
"""
    env = {**os.environ, "PYTHONPATH": str(target)}
    result = subprocess.run([sys.executable, "-c", probe, str(target)], env=env, capture_output=True, text=True)
    assert result.stdout.strip() == "ok", result.stderr
    version = subprocess.run(
        [sys.executable, "-m", "contexten", "--version"], env=env, capture_output=True, text=True, check=True
    )
    assert version.stdout.startswith("contexten ")
