"""Import boundaries: common imports neither textual nor zmq nor the other packages; the daemon never
imports textual or the console; the console never imports the daemon (nor the analysis library: it sees
analyses through the protocol); the analysis library imports none of the others."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).parents[2] / "src"

FORBIDDEN = {
    "common": (
        "textual",
        "zmq",
        "contexten.daemon",
        "contexten.tui",
        "contexten.client",
        "contexten.cli",
        "contexten.analysis",
    ),
    "daemon": ("textual", "contexten.tui", "contexten.client", "contexten.cli"),
    "tui": ("contexten.daemon", "contexten.cli", "contexten.analysis"),
    # Code intelligence is a library: the daemon and the CLI use it; it knows neither of them, nor the wire.
    "analysis": (
        "textual",
        "zmq",
        "contexten.daemon",
        "contexten.tui",
        "contexten.client",
        "contexten.cli",
        "contexten.common",
    ),
    "client": ("textual", "contexten.daemon", "contexten.tui", "contexten.cli"),
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(), str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_import_boundaries(package: str) -> None:
    files = sorted((SRC / package).rglob("*.py"))
    assert files, f"no sources under src/{package}"
    violations = [
        f"{f.relative_to(SRC)}:{line} imports {module}"
        for f in files
        for line, module in imported_modules(f)
        if any(module == bad or module.startswith(bad + ".") for bad in FORBIDDEN[package])
    ]
    assert violations == []


def test_the_checker_sees_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("def f():\n    from contexten.daemon import app\n")
    assert imported_modules(bad) == [(2, "contexten.daemon")]
