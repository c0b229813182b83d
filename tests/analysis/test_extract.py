"""Per-file facts from tree-sitter, for each language, and every kind of bad input."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from contexten.analysis.analyzer import AnalysisSettings, Analyzer
from contexten.analysis.extract import extract
from contexten.analysis.languages import BY_NAME, LANGUAGES
from tests.analysis.helpers import write_tree

PY = b'''
import os, sys as system
from .pkg import a as b
class Shape:
    def area(self, x):
        def inner(y):
            return y if y else 0
        for i in x:
            if i and x or not i:
                pass
        return inner(x)

@decorator
def helper():  # a comment
    """Docstring."""
    return os.path.join(Shape().area([]))
'''


def test_python_functions_classes_imports_and_complexity() -> None:
    result = extract(BY_NAME["python"], "m.py", PY)
    functions = {f.name: f for f in result.functions}
    assert set(functions) == {"Shape.area", "Shape.area.inner", "helper"}
    area = functions["Shape.area"]
    assert (area.kind, area.start_line, area.end_line) == ("method", 5, 11)
    assert area.ccn == 5  # for, if, and, or (the ternary belongs to inner)
    assert functions["Shape.area.inner"].ccn == 2
    assert functions["helper"].decorated and functions["helper"].calls == ["Shape", "area", "join"]
    assert functions["helper"].nloc == 3  # the comment-only content does not count; the docstring does
    assert [(i.module, i.names, i.level) for i in result.imports] == [
        ("os", ["os"], 0), ("sys", ["system"], 0), ("pkg", ["b"], 1),
    ]  # fmt: skip
    assert result.names["Shape"] == 2 and "comment" not in result.names and "Docstring" not in result.names


@pytest.mark.parametrize(
    ("language", "path", "source", "expected"),
    [
        ("javascript", "a.js", b"function f(a) { return a && b ? 1 : 2 }\nconst g = (x = 1) => { if (x) {} }\n",
         {"f": 3, "g": 3}),
        ("typescript", "a.ts", b"class A {\n  m(x?: number): void {\n    while (x) { x = x ?? 0 }\n  }\n}\n",
         {"A.m": 3}),
        ("tsx", "a.tsx", b"export function App({ on }: P) {\n  return on ? <b>yes</b> : <i>no</i>\n}\n", {"App": 2}),
        ("go", "a.go", b"package m\nfunc (s *S) Run(x int) int {\n  if x > 0 && x < 9 { return 1 }\n  return 0\n}\n",
         {"S.Run": 3}),
        ("rust", "a.rs", b"impl S {\n  fn run(&self, x: i32) -> i32 {\n    match x { 1 => 1, 2 => 2, _ => 0 }\n  }\n}",
         {"S.run": 3}),
        ("java", "A.java", b"class A {\n  int f(int x) {\n    for (;;) { if (x > 1 || x < 0) return 1; }\n  }\n}\n",
         {"A.f": 4}),
    ],
)  # fmt: skip
def test_each_language_gets_qualified_functions_and_lizards_ccn(
    language: str, path: str, source: bytes, expected: dict[str, int]
) -> None:
    result = extract(BY_NAME[language], path, source)
    assert result.skipped is None
    assert {f.name: f.ccn for f in result.functions} == expected


def test_every_grammar_loads_from_its_wheel_with_a_versioned_cache_key() -> None:
    for spec in LANGUAGES:
        assert spec.compiled is not None
        assert spec.name in spec.version and "ts0.26" in spec.version


def test_bad_input_is_reported_per_file_and_the_rest_is_analysed(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "repo", {
        "good.py": "def ok():\n    return 1\n",
        "binary.py": b"\x00\x01\x02 not text",
        "latin1.py": b"name = '\xe9t\xe9'\n",
        "broken.py": "def broken(:\n    pass\n",
        "min.js": "var a=1;" * 5000,
        "huge.py": "x = 1\n" * 400_000,
    })  # fmt: skip
    unreadable = root / "secret.py"
    unreadable.write_text("def hidden(): pass\n")
    unreadable.chmod(0)
    (root / "loop").symlink_to(root, target_is_directory=True)
    try:
        report = Analyzer(str(root), AnalysisSettings(workers=1, max_file_bytes=1_000_000)).analyse()
    finally:
        unreadable.chmod(0o644)
    reasons = {path: f.skipped or "" for path, f in report.files.items()}
    assert reasons["good.py"] == ""
    assert [f.name for f in report.files["good.py"].functions] == ["ok"]
    assert "binary" in reasons["binary.py"]
    assert "UTF-8" in reasons["latin1.py"] and "line 1" in reasons["latin1.py"]
    assert reasons["broken.py"] == "syntax error at line 1"
    assert "minified" in reasons["min.js"]
    assert "cap" in reasons["huge.py"]
    if os.geteuid() != 0:  # root reads anything
        assert "unreadable" in reasons["secret.py"]
    assert reasons["loop"] == "symlink loop (directory already visited)"
    assert report.summary()["files"] >= 1 and report.summary()["skipped"] >= 5
