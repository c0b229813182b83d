"""The SQLite cache and incremental updates, and `contexten analyze` as a user runs it."""

from __future__ import annotations

import json
import sqlite3
import subprocess
from pathlib import Path

import pytest

from contexten.analysis.analyzer import AnalysisCancelled, AnalysisSettings, Analyzer
from contexten.analysis.cache import AnalysisCache
from tests.analysis.helpers import write_tree
from tests.helpers import cli

TREE = {
    "a.py": "from b import g\n\ndef f(x):\n    return g(x) if x else 0\n",
    "b.py": "def g(y):\n    for i in y:\n        if i:\n            return i\n",
    "web/app.ts": "export function h(z: number) { return z > 1 ? 1 : 0 }\n",
}


def test_a_warm_run_parses_nothing_and_an_update_parses_only_the_changed_file(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", TREE)
    cache = AnalysisCache(str(tmp_path / "cache.db"))
    try:
        cold = Analyzer(str(root), AnalysisSettings(workers=1), cache)
        first = cold.analyse()
        assert cold.extracted == 3
        warm = Analyzer(str(root), AnalysisSettings(workers=1), cache)
        second = warm.analyse()
        assert warm.extracted == 0
        assert second.to_json() == first.to_json()

        (root / "b.py").write_text("def g(y):\n    return y\n")
        assert warm.update([str(root / "b.py"), "a.py"]) == ["b.py"]  # a.py is read, hashed, unchanged
        assert warm.extracted == 1
        assert {f.name: f.ccn for f in warm.report().files["b.py"].functions} == {"g": 1}
        (root / "a.py").unlink()
        assert warm.update(["a.py"]) == ["a.py"]
        assert "a.py" not in warm.report().files
    finally:
        cache.close()


def test_a_damaged_cache_row_is_a_miss_and_a_new_grammar_version_is_a_new_key(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", TREE)
    path = tmp_path / "cache.db"
    cache = AnalysisCache(str(path))
    Analyzer(str(root), AnalysisSettings(workers=1), cache).analyse()
    cache.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE file_analysis SET data = '{not json'")
    cache = AnalysisCache(str(path))
    try:
        again = Analyzer(str(root), AnalysisSettings(workers=1), cache)
        assert again.analyse().summary()["functions"] == 3
        assert again.extracted == 3  # every damaged row was re-analysed and replaced
        healed = Analyzer(str(root), AnalysisSettings(workers=1), cache)
        healed.analyse()
        assert healed.extracted == 0
    finally:
        cache.close()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE file_analysis SET version = 'a0/ts0.1/python0.1'")
    cache = AnalysisCache(str(path))
    try:
        newer = Analyzer(str(root), AnalysisSettings(workers=1), cache)
        newer.analyse()
        assert newer.extracted == 3  # rows of another grammar version are not this one's
    finally:
        cache.close()


def test_analyze_json_has_the_documented_shape(home: Path, tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {**TREE, "bad.py": b"\xff\xfe\x00\x01"})
    result = cli(home, "analyze", str(root), "--json")
    assert result.returncode == 0, result.stderr
    document = json.loads(result.stdout)
    assert {"files", "functions", "dead_code", "duplicates", "cycles"} <= set(document)
    functions = {f["name"]: f for f in document["functions"]}
    assert functions["g"] == {"file": "b.py", "name": "g", "kind": "function", "start_line": 1, "end_line": 4,
                              "ccn": 3, "nloc": 4}  # fmt: skip
    assert functions["h"]["ccn"] == 2 and functions["h"]["file"] == "web/app.ts"
    assert [f["skipped"] for f in document["files"] if f["path"] == "bad.py"] == ["binary (contains NUL bytes)"]


def test_analyze_prints_tables_and_the_blast_radius_of_a_diff(home: Path, tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", TREE)
    diff = tmp_path / "change.diff"
    diff.write_text("--- a/b.py\n+++ b/b.py\n@@ -3,1 +3,1 @@\n-        if i:\n+        if i and y:\n")
    result = cli(home, "analyze", str(root), "--diff", str(diff))
    assert result.returncode == 0, result.stderr
    assert "Most complex functions:" in result.stdout and "Blast radius:" in result.stdout
    radius = result.stdout.split("Blast radius:")[1]
    assert "g" in radius and "a.py" in radius  # f calls g through the import


def test_analyze_refuses_a_missing_path_and_a_non_diff_by_name(home: Path, tmp_path: Path) -> None:
    missing = cli(home, "analyze", str(tmp_path / "nope"))
    assert missing.returncode == 1 and "is not a directory" in missing.stderr
    root = write_tree(tmp_path / "repo", TREE)
    (tmp_path / "x.diff").write_text("just words\n")
    bad = cli(home, "analyze", str(root), "--diff", str(tmp_path / "x.diff"))
    assert bad.returncode == 1 and "not a unified diff" in bad.stderr


def test_files_with_the_same_content_keep_their_own_paths_from_the_cache(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {"a/__init__.py": "", "b/__init__.py": "", "a/x.py": "def f():\n    pass\n",
                                          "b/x.py": "def f():\n    pass\n"})  # fmt: skip
    cache = AnalysisCache(str(tmp_path / "cache.db"))
    try:
        Analyzer(str(root), AnalysisSettings(workers=1), cache).analyse()
        warm = Analyzer(str(root), AnalysisSettings(workers=1), cache).analyse()
        assert {p: f.path for p, f in warm.files.items()} == {p: p for p in warm.files}
        assert sorted(warm.files) == ["a/__init__.py", "a/x.py", "b/__init__.py", "b/x.py"]
    finally:
        cache.close()


def test_a_cancelled_analysis_stops_at_the_next_file(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {f"m{n}.py": f"def f{n}():\n    return {n}\n" for n in range(50)})
    analyzer = Analyzer(str(root), AnalysisSettings(workers=1))
    analyzer.cancel()
    with pytest.raises(AnalysisCancelled, match="cancelled"):
        analyzer.analyse()
    assert len(analyzer.files) == 0


def test_an_update_leaves_out_what_the_full_analysis_leaves_out(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {**TREE, ".gitignore": "generated/\n"})
    subprocess.run(["git", "init", "-q", str(root)], check=True)
    analyzer = Analyzer(str(root), AnalysisSettings(workers=1, exclude=("vendor_copy/*",)))
    analyzer.analyse()
    write_tree(root, {"generated/out.py": "def g():\n    pass\n", "node_modules/x/i.js": "function i() {}\n",
                      "vendor_copy/v.py": "def v():\n    pass\n", "new.py": "def n():\n    pass\n"})  # fmt: skip
    touched = ["generated/out.py", "node_modules/x/i.js", "vendor_copy/v.py", "new.py", "README.md"]
    assert analyzer.update(touched) == ["new.py"]
    assert sorted(analyzer.files) == sorted(Analyzer(str(root), analyzer.settings).analyse().files)
