"""A report kept current by updates (what the daemon's watch does) equals a fresh analysis of the tree as it
now is, after every kind of edit: a body changed, imports changed, a copy pasted and removed, a file added,
a file deleted, a package made (which renames modules). Issue 18: the update reuses what the edit left as
it was (duplicate windows and blocks, resolved imports), and must never drift from the truth for it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contexten.analysis.analyzer import AnalysisSettings, Analyzer
from tests.analysis.helpers import BLOCK, write_tree

SETTINGS = AnalysisSettings(workers=1, min_duplicate_tokens=30, min_duplicate_lines=5)


def _comparable(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k != "hotspots"}  # churn comes from git: there is none here


def test_an_updated_report_equals_a_fresh_analysis_after_each_kind_of_edit(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "app/core.py": "from app import util\n" + BLOCK.format(name="first"),
        "app/util.py": "import json\n\ndef helper():\n    return json.dumps({})\n",
        "app/copy.py": BLOCK.format(name="second"),
        "other.py": "from app.core import first\n\ndef main():\n    return first([], 1)\n",
        "waits.py": "import app.later\n\nVALUE = app.later.X\n",  # never edited: resolves once later.py exists
    })  # fmt: skip
    analyzer = Analyzer(str(root), SETTINGS)
    analyzer.analyse()

    def edit(rel: str, text: str | None) -> None:
        path = root / rel
        if text is None:
            path.unlink()
        else:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        analyzer.update([rel])
        fresh = Analyzer(str(root), SETTINGS).analyse()
        assert _comparable(analyzer.report().to_json()) == _comparable(fresh.to_json()), f"after editing {rel}"

    edit("app/util.py", "import json\n\ndef helper():\n    return json.dumps([])\n\ndef unused_now():\n    return 2\n")
    edit("other.py", "from app import util\n\ndef main():\n    return util.helper()\n")  # imports changed
    edit("app/third.py", "import app.core\n" + BLOCK.format(name="third"))  # a new file, a third copy
    edit("app/later.py", "X = 1\n")  # what waits.py imports: its import resolves now
    edit("app/copy.py", BLOCK.format(name="second").replace("total -= ", "total += "))  # the copy diverges
    edit("app/copy.py", BLOCK.format(name="second"))  # and comes back
    edit("app/__init__.py", "")  # app becomes a package: every module name under it changes
    edit("app/third.py", None)  # deleted
    edit("app/core.py", "from . import util\n\ndef first(items, limit):\n    return util.helper()\n")
    report = analyzer.report()
    assert report.duplicates == [] and report.graph.edges, "the edits were meant to end with no copies left"
