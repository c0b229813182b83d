"""The analysis flows' own logic: thresholds and trend, what the cleanup may remove, and how."""

from __future__ import annotations

from pathlib import Path

from contexten.analysis.analyzer import AnalysisSettings, Analyzer
from contexten.daemon.flows.code_quality_check import trend, violations
from contexten.daemon.flows.dead_code_cleanup import removals, remove_lines
from contexten.daemon.platform.config import QualityThresholds
from tests.analysis.helpers import write_tree

SUMMARY = {"ccn_max": 12, "ccn_average": 2.5, "complex_functions": 3, "duplicated_lines_percent": 4.0,
           "dead_code_high": 2, "cycles": 1}  # fmt: skip


def test_each_exceeded_limit_is_named_and_zero_turns_a_count_limit_off() -> None:
    limits = QualityThresholds(max_ccn=10, max_average_ccn=3.0, max_complex_functions=0, max_dead_code=1,
                               max_cycles=0, max_duplicated_lines_percent=10.0)  # fmt: skip
    assert violations(SUMMARY, limits) == [
        "ccn_max 12 is over max_ccn = 10",
        "dead_code_high 2 is over max_dead_code = 1",
    ]
    assert violations(SUMMARY, QualityThresholds(max_ccn=20)) == []


def test_the_trend_compares_each_metric_with_the_previous_check() -> None:
    before = {**SUMMARY, "ccn_max": 15, "cycles": 1}
    assert trend(SUMMARY, None) == {}
    changes = trend(SUMMARY, before)
    assert changes["ccn_max"] == {"now": 12, "before": 15, "change": -3}
    assert changes["cycles"]["change"] == 0


def test_cleanup_removes_only_whole_module_level_definitions_and_wholly_unused_imports(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "mod.py": (
            "import os\n"
            "from json import dumps, loads\n"
            "from typing import (\n    Any,\n)\n\n"
            "def used():\n    return loads('1')\n\n"
            "def _dead():\n    return 1\n\n"
            "class Holder:\n    def unused_method(self):\n        pass\n"
        ),
        "main.py": "from mod import used, Holder\nprint(used(), Holder)\n",
    })  # fmt: skip
    report = Analyzer(str(root), AnalysisSettings(workers=1)).analyse()
    planned = removals(report, 90)
    # `dumps` is unused but shares its statement with `loads`; the method is below 90%: not planned.
    assert planned == {"mod.py": [(1, 1, "import os"), (3, 3, "import Any"), (10, 11, "function _dead")]}
    text = (root / "mod.py").read_text()
    cleaned, applied = remove_lines(text, planned["mod.py"])
    # `Any` sits in a statement that continues over several lines: left for a person.
    assert applied == [(1, 1, "import os"), (10, 11, "function _dead")]
    assert "import os" not in cleaned and "_dead" not in cleaned and "def used" in cleaned
    assert "from typing import (\n    Any,\n)" in cleaned
    compile(cleaned, "mod.py", "exec")  # still Python
