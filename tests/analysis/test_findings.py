"""Cross-file findings on small real trees: the dependency graph and its cycles, dead code, duplicated
blocks, the blast radius of a diff, and hotspots from real git history."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from contexten.analysis.analyzer import AnalysisSettings, Analyzer
from contexten.analysis.impact import DiffError, blast_radius, changed_lines
from contexten.analysis.report import Report
from tests.analysis.helpers import BLOCK, write_tree


def analyse(root: Path, **settings: int) -> Report:
    return Analyzer(str(root), AnalysisSettings(workers=1, **settings)).analyse()  # type: ignore[arg-type]


def test_python_imports_resolve_to_files_and_cycles_are_reported(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "pkg/__init__.py": "from .core import run\n",
        "pkg/core.py": "from pkg import util\nfrom . import helpers\ndef run():\n    return util.x\n",
        "pkg/util.py": "import pkg.core\nx = 1\n",
        "pkg/helpers.py": "from ..outside import nothing\n",
        "pkg/sub/__init__.py": "",
        "pkg/sub/leaf.py": "from ...pkg import core\nfrom pkg.sub import other\nimport json\n",
        "pkg/sub/other.py": "def lazy():\n    import pkg.sub.leaf\n",
    })  # fmt: skip
    report = analyse(root)
    edges = {(e.source, e.target) for e in report.graph.edges}
    assert ("pkg/core.py", "pkg/util.py") in edges  # `from pkg import util`: the submodule
    assert ("pkg/core.py", "pkg/helpers.py") in edges  # relative
    assert ("pkg/util.py", "pkg/core.py") in edges  # absolute dotted
    assert ("pkg/__init__.py", "pkg/core.py") in edges
    assert ("pkg/sub/leaf.py", "pkg/sub/other.py") in edges
    assert not any(e.target.endswith("json.py") for e in report.graph.edges)  # outside the tree
    assert report.graph.cycles == [["pkg/core.py", "pkg/util.py"]]  # the function-level import is no edge


def test_js_and_ts_imports_resolve_with_extensions_and_index_files(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "src/a.ts": "import { b } from './b'\nimport * as lib from './lib'\nimport React from 'react'\nb(lib)\n",
        "src/b.ts": "import { c } from './c.js'\nexport const b = (x: unknown) => c(x)\n",
        "src/c.ts": "import { b } from './b'\nexport function c(x: unknown) { return x }\n",
        "src/lib/index.js": "const u = require('../util')\nmodule.exports = u\n",
        "src/util.jsx": "export default function Util() { return <b/> }\n",
    })  # fmt: skip
    report = analyse(root)
    edges = {(e.source, e.target) for e in report.graph.edges}
    assert {("src/a.ts", "src/b.ts"), ("src/a.ts", "src/lib/index.js"), ("src/b.ts", "src/c.ts"),
            ("src/lib/index.js", "src/util.jsx")} <= edges  # fmt: skip
    assert report.graph.cycles == [["src/b.ts", "src/c.ts"]]


def test_dead_code_across_files_with_confidence_and_exclusions(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "app/__init__.py": "from .api import public_api\n",
        "app/api.py": '''
            import os
            from typing import List, Dict
            from app.helpers import used_helper
            __all__ = ["exported"]

            def public_api():
                return used_helper(Dict)

            def exported():
                pass

            def _private_unused():
                pass

            def public_unused():
                pass

            @app.route("/")
            def decorated_entry():
                pass

            @dataclass
            class PlainRecord:
                x: int

            @functools.lru_cache(maxsize=2)
            def _cached_unused():
                pass

            class Thing:
                def __repr__(self):
                    return "t"
                def never_called(self):
                    pass
                def setUp(self):
                    pass
        ''',
        "app/helpers.py": "def used_helper(x):\n    return x\n\ndef coincidence():\n    pass\n",
        "other/elsewhere.py": "def f():\n    return coincidence\n",
        "tests/test_api.py": "def test_nothing():\n    unused = 1\n\ndef helper_in_tests():\n    pass\n",
    })  # fmt: skip
    report = analyse(root)
    found = {(d.file, d.name): d for d in report.dead_code}
    assert found[("app/api.py", "os")].confidence == 90  # a plain import: maybe for its effects
    assert found[("app/api.py", "List")].confidence == 95
    assert ("app/api.py", "Dict") not in found
    assert found[("app/api.py", "_private_unused")].confidence == 90
    assert found[("app/api.py", "public_unused")].confidence == 70
    assert found[("app/api.py", "never_called")].kind == "method"
    assert found[("app/api.py", "never_called")].confidence == 60
    # read by name in a file that does not import app.helpers: kept, but with low confidence
    assert found[("app/helpers.py", "coincidence")].confidence == 40
    # excluded: __all__, decorated entry points, dunders, framework hooks, test files, __init__ re-exports
    assert found[("app/api.py", "Thing")].kind == "class"
    # @dataclass and @lru_cache register nothing: still dead; @app.route registers a route: an entry point
    assert found[("app/api.py", "PlainRecord")].confidence == 70
    assert found[("app/api.py", "_cached_unused")].confidence == 90
    for name in ("exported", "decorated_entry", "__repr__", "setUp", "public_api", "used_helper"):
        assert ("app/api.py", name) not in found and ("app/helpers.py", name) not in found
    assert not any(d.file.startswith("tests/") for d in report.dead_code)
    assert not any(d.file == "app/__init__.py" for d in report.dead_code)


def test_renamed_copies_are_found_across_files_above_the_minimum(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "one.py": "import x\n" + BLOCK.format(name="first"),
        # the same logic with other names and literals (a renamed copy), plus comments
        "two.py": BLOCK.format(name="second").replace("total", "acc").replace("2", "3") + "# trailing\n",
        "small.py": "def tiny():\n    return 1\n",
    })  # fmt: skip
    report = analyse(root, min_duplicate_tokens=30, min_duplicate_lines=5)
    assert len(report.duplicates) == 1
    block = report.duplicates[0]
    assert [o[0] for o in block.occurrences] == ["one.py", "two.py"]
    assert block.lines == 8 and block.tokens >= 30
    assert analyse(root, min_duplicate_tokens=500, min_duplicate_lines=5).duplicates == []


def git(root: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(root), *args], check=True, capture_output=True,
                   env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@t", "GIT_COMMITTER_NAME": "t",
                        "GIT_COMMITTER_EMAIL": "t@t", "PATH": "/usr/bin:/bin"})  # fmt: skip


def test_blast_radius_follows_callers_and_users_through_importers(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {
        "core.py": "def parse(text):\n    return text.strip()\n\ndef unrelated():\n    return 2\n",
        "service.py": "from core import parse\n\ndef load(path):\n    return parse(path)\n\nPARSER = parse\n",
        "api.py": "from service import load\n\ndef handler(request):\n    return load(request)\n",
        "cli.py": "import api\n\ndef main():\n    return api.handler(None)\n",
        "lonely.py": "def parse(text):\n    return text\n",
    })  # fmt: skip
    report = analyse(root)
    diff = (
        "diff --git a/core.py b/core.py\n--- a/core.py\n+++ b/core.py\n@@ -1,2 +1,2 @@\n"
        " def parse(text):\n-    return text.strip()\n+    return text.strip().lower()\n"
    )
    impacted = {(i.file, i.name): (i.depth, i.via) for i in blast_radius(report.files, report.graph, str(root), diff)}
    assert impacted[("core.py", "parse")] == (0, None)
    assert impacted[("service.py", "load")] == (1, "core.py:parse")
    assert impacted[("api.py", "handler")] == (2, "service.py:load")
    assert impacted[("cli.py", "main")] == (3, "api.py:handler")
    assert ("lonely.py", "parse") not in impacted  # same name, no import: not affected
    assert ("core.py", "unrelated") not in impacted
    shallow = blast_radius(report.files, report.graph, str(root), diff, depth=1)
    assert max(i.depth for i in shallow) == 1


def test_diff_parsing_marks_added_lines_and_deletions_and_rejects_non_diffs() -> None:
    diff = "--- a/x.py\n+++ b/x.py\n@@ -3,3 +3,3 @@\n ctx\n-old\n+new\n ctx\n@@ -20 +20,0 @@\n-gone\n"
    assert changed_lines(diff) == {"x.py": {4, 20}}
    with pytest.raises(DiffError, match="not a unified diff"):
        changed_lines("hello\nworld\n")


def test_hotspots_multiply_complexity_by_commits_in_the_window(tmp_path: Path) -> None:
    root = write_tree(tmp_path, {"busy.py": "def f(x):\n    if x:\n        return 1\n", "calm.py": "def g(x):\n"
                                 "    if x and x:\n        return 1\n"})  # fmt: skip
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", "one")
    for n in range(3):
        (root / "busy.py").write_text(f"def f(x):\n    if x:\n        return {n}\n")
        git(root, "commit", "-qam", f"change {n}")
    hotspots = {h.name: (h.ccn, h.churn, h.score) for h in analyse(root).hotspots}
    assert hotspots == {"f": (2, 4, 8), "g": (3, 1, 3)}


def test_a_sub_package_analysed_alone_still_resolves_imports_written_from_the_top(tmp_path: Path) -> None:
    write_tree(tmp_path, {
        "top/__init__.py": "",
        "top/sub/__init__.py": "from top.sub.core import Engine\n",
        "top/sub/core.py": "class Engine:\n    pass\n",
        "top/sub/use.py": "from top.sub import core\n\ndef make():\n    return core.Engine()\n",
    })  # fmt: skip
    report = analyse(tmp_path / "top" / "sub")
    edges = {(e.source, e.target) for e in report.graph.edges}
    assert {("__init__.py", "core.py"), ("use.py", "core.py")} <= edges
    assert not any(d.name == "Engine" for d in report.dead_code)
