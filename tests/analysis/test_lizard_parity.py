"""CCN against lizard itself, on real code: a deterministic sample of the Python standard library on this
machine, and the vendored JS/TS sample (tests/fixtures/jsts). Functions are matched by start line, or by
end line and name where the two tools start a function on different lines (lizard starts an expression-
bodied arrow at its body)."""

from __future__ import annotations

import sysconfig
import zipfile
from pathlib import Path
from typing import Any

import lizard
import pytest

from contexten.analysis.extract import extract
from contexten.analysis.languages import language_of
from contexten.analysis.source import read_source

JSTS = Path(__file__).parents[1] / "fixtures" / "jsts"


def agreement(paths: list[Path]) -> tuple[int, int, int, list[str]]:
    """(lizard's functions, same CCN, lizard's functions we do not list, the first differences)."""
    total = same = missing = 0
    differences: list[str] = []
    for path in paths:
        spec = language_of(str(path))
        source = read_source(str(path))
        if spec is None or source.data is None:
            continue
        ours = extract(spec, str(path), source.data)
        if ours.skipped:
            continue
        by_start: dict[Any, Any] = {}
        by_end: dict[Any, Any] = {}
        for f in ours.functions:
            by_start.setdefault(f.start_line, f)
            by_end.setdefault((f.end_line, f.short_name), f)
        for theirs in lizard.analyze_file.analyze_source_code(str(path), source.data.decode()).function_list:
            total += 1
            short = theirs.name.replace("::", ".").rsplit(".", 1)[-1]  # Java methods are Class::name
            mine = by_start.get(theirs.start_line) or by_end.get((theirs.end_line, short))
            if mine is None:
                missing += 1
            elif mine.ccn == theirs.cyclomatic_complexity:
                same += 1
            elif len(differences) < 20:
                differences.append(f"{path}:{theirs.start_line} {theirs.name}: lizard {theirs.cyclomatic_complexity}, "
                                   f"ours {mine.ccn}")  # fmt: skip
    return total, same, missing, differences


@pytest.mark.slow
def test_python_standard_library_sample_matches_lizard() -> None:
    root = Path(sysconfig.get_paths()["stdlib"])
    files = sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts)[::8]
    total, same, _missing, differences = agreement(files)
    assert total > 5000, "the sample should be a real corpus"
    assert same / total >= 0.98, differences


def test_js_ts_sample_matches_lizard_where_both_see_a_function() -> None:
    files = sorted(p for p in JSTS.rglob("*") if p.suffix in (".js", ".ts", ".tsx"))
    total, same, missing, differences = agreement(files)
    assert total > 150
    # Lizard also lists TypeScript function *types* (`now: () => number`) and optional members as functions;
    # those are the "missing" ones (docs/analysis.md lists the known differences).
    assert same / (total - missing) >= 0.97, differences


def test_combined_corpus_meets_the_98_percent_bar() -> None:
    root = Path(sysconfig.get_paths()["stdlib"])
    python = sorted(p for p in root.rglob("*.py") if "site-packages" not in p.parts)[::40]
    jsts = sorted(p for p in JSTS.rglob("*") if p.suffix in (".js", ".ts", ".tsx"))
    total, same, missing, differences = agreement(python + jsts)
    assert (same / (total - missing)) >= 0.98, differences


def _jdk_sources() -> Path | None:
    found = sorted(Path("/usr/lib/jvm").glob("*/lib/src.zip")) if Path("/usr/lib/jvm").is_dir() else []
    return next((p.resolve() for p in found if p.resolve().is_file()), None)


@pytest.mark.skipif(_jdk_sources() is None, reason="no JDK source archive on this machine")
def test_java_sample_from_the_jdk_sources_matches_lizard(tmp_path: Path) -> None:
    archive = _jdk_sources()
    assert archive is not None
    with zipfile.ZipFile(archive) as jdk:
        names = sorted(n for n in jdk.namelist() if n.startswith("java.base/java/util/") and n.endswith(".java"))
        for name in names[::5]:
            (tmp_path / Path(name).name).write_bytes(jdk.read(name))
    total, same, missing, differences = agreement(sorted(tmp_path.glob("*.java")))
    assert total > 500
    assert same / (total - missing) >= 0.98, differences
