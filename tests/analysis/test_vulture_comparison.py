"""Dead code against vulture on real code (standard-library packages): what vulture reports that we do not
must be one of the documented differences, and where both report the same definition we agree on it."""

from __future__ import annotations

import sysconfig
from collections import Counter
from pathlib import Path

import pytest
from vulture import Vulture

from contexten.analysis.analyzer import AnalysisSettings, Analyzer
from contexten.analysis.dead_code import HOOK_NAMES, HOOK_PREFIXES, definitions, is_test_file

STDLIB = Path(sysconfig.get_paths()["stdlib"])


@pytest.mark.parametrize("package", ["email", "http", "logging"])
def test_every_vulture_finding_we_skip_is_a_documented_difference(package: str) -> None:
    root = STDLIB / package
    report = Analyzer(str(root), AnalysisSettings(workers=1)).analyse()
    ours = {(d.file, d.name) for d in report.dead_code}
    totals: Counter[str] = Counter()
    defined: Counter[str] = Counter()
    for file in report.files.values():
        totals.update(file.names)
        defined.update(definitions(file))
    vulture = Vulture()
    vulture.scavenge([str(p) for p in root.rglob("*.py") if not is_test_file(str(p.relative_to(root)))])
    checked = 0
    for item in vulture.get_unused_code(min_confidence=60):
        if item.typ not in ("function", "method", "class", "import"):
            continue  # variables and attributes: not reported by contexten
        checked += 1
        rel = Path(item.filename).relative_to(root).as_posix()
        if (rel, item.name) in ours:
            continue
        file = report.files[rel]
        # vulture starts a decorated definition at its first decorator, we at `def`
        definition = [
            f for f in file.functions if f.short_name == item.name and 0 <= f.start_line - item.first_lineno <= 5
        ]
        decorated = any(f.decorated for f in definition) or any(
            c.decorated for c in file.classes if c.name == item.name
        )
        hook = item.name in HOOK_NAMES or item.name.startswith(HOOK_PREFIXES) or item.name.startswith("__")
        # Names are counted as vulture counts them, but also where they are assigned (`alias = name`).
        read_elsewhere = totals[item.name] - defined[item.name] > 0
        assert decorated or hook or read_elsewhere, f"vulture: {rel}:{item.first_lineno} {item.typ} {item.name}"
    assert checked > 0
