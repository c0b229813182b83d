"""Analysis benchmark on a real corpus: the Python standard library of this interpreter, plus any JS/TS
trees named on the command line.

    python bench/analysis.py [JS_OR_TS_DIR ...] [--lines 100000]

Prints, in one run, against a raw baseline measured on the same files:
- raw tree-sitter parse throughput (parse only, one core),
- contexten's full analysis throughput, cold (no cache), with one worker and with one per CPU,
- lizard's throughput on the same files (one core),
- warm (every file cached) analysis time,
- the time to re-analyse after touching one file of a ~100k-line repository (what the watch does: update
  the file and rebuild the report).
Targets (issue 5): full analysis >= 50% of raw parse throughput and >= 4x lizard; a one-file update under
50 ms on a 100k-line repository. Timings depend on the machine; the ratios are what to compare.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sysconfig
import tempfile
import time
from pathlib import Path

import lizard

from contexten.analysis.analyzer import AnalysisSettings, Analyzer
from contexten.analysis.cache import AnalysisCache
from contexten.analysis.languages import language_of, parser_for
from contexten.analysis.walk import discover

EXCLUDE = ("site-packages",)


def corpus(roots: list[Path]) -> list[tuple[Path, str]]:
    files = []
    for root in roots:
        for rel in discover(str(root), EXCLUDE).files:
            files.append((root, rel))
    return files


def raw_parse(files: list[tuple[Path, str]]) -> tuple[float, int]:
    data = [((root / rel).read_bytes(), language_of(rel)) for root, rel in files]
    size = sum(len(d) for d, _ in data)
    started = time.perf_counter()
    for d, spec in data:
        assert spec is not None
        parser_for(spec).parse(d)
    return time.perf_counter() - started, size


def lizard_time(files: list[tuple[Path, str]]) -> float:
    started = time.perf_counter()
    for root, rel in files:
        try:
            lizard.analyze_file.analyze_source_code(rel, (root / rel).read_text(encoding="utf-8"))
        except (UnicodeDecodeError, OSError):
            continue
    return time.perf_counter() - started


def full(roots: list[Path], workers: int, cache: AnalysisCache | None = None) -> tuple[float, int]:
    started = time.perf_counter()
    files = 0
    for root in roots:
        analyzer = Analyzer(str(root), AnalysisSettings(workers=workers, exclude=EXCLUDE), cache)
        files += analyzer.analyse().summary()["files"]
    return time.perf_counter() - started, files


def one_file_update(stdlib: Path, lines: int, scratch: Path) -> tuple[int, list[float]]:
    """Copy stdlib modules until `lines` lines, analyse once, then time touching one file, 10 times."""
    repo = scratch / "repo"
    total = 0
    for rel in discover(str(stdlib), EXCLUDE).files:
        if not rel.endswith(".py") or "/test" in rel or rel.startswith("test"):
            continue
        text = (stdlib / rel).read_bytes()
        (repo / rel).parent.mkdir(parents=True, exist_ok=True)
        (repo / rel).write_bytes(text)
        total += text.count(b"\n")
        if total >= lines:
            break
    cache = AnalysisCache(str(scratch / "cache.db"))
    analyzer = Analyzer(str(repo), AnalysisSettings(workers=1), cache)
    analyzer.analyse()
    target = repo / "json" / "decoder.py" if (repo / "json" / "decoder.py").exists() else next(repo.rglob("*.py"))
    timings = []
    for n in range(10):
        with target.open("a") as handle:
            handle.write(f"\n\ndef touched_{n}(x):\n    return x if x else {n}\n")
        started = time.perf_counter()
        analyzer.update([str(target)])
        analyzer.report()
        timings.append((time.perf_counter() - started) * 1000)
    cache.close()
    return total, timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("extra", nargs="*", type=Path, help="JS/TS source trees to add to the corpus")
    parser.add_argument("--lines", type=int, default=100_000, help="size of the repository for the update test")
    args = parser.parse_args()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    roots = [stdlib, *args.extra]
    files = corpus(roots)
    parse_s, size = raw_parse(files)
    mb = size / 1e6
    print(f"corpus: {len(files)} files, {mb:.1f} MB ({', '.join(str(r) for r in roots)})")
    print(f"raw tree-sitter parse:          {parse_s:6.2f} s  {mb / parse_s:6.2f} MB/s   (baseline)")
    lizard_s = lizard_time(files)
    print(f"lizard (one core):              {lizard_s:6.2f} s  {mb / lizard_s:6.2f} MB/s")
    scratch = Path(tempfile.mkdtemp(prefix="cx-bench-"))
    try:
        one, _ = full(roots, workers=1)
        print(f"contexten cold, 1 worker:       {one:6.2f} s  {mb / one:6.2f} MB/s   "
              f"{parse_s / one:.0%} of raw parse, {lizard_s / one:.2f}x lizard")  # fmt: skip
        cache = AnalysisCache(str(scratch / "corpus.db"))
        pooled, _ = full(roots, workers=0, cache=cache)
        print(f"contexten cold, all CPUs:       {pooled:6.2f} s  {mb / pooled:6.2f} MB/s   "
              f"{parse_s / pooled:.0%} of raw parse, {lizard_s / pooled:.2f}x lizard")  # fmt: skip
        warm, _ = full(roots, workers=0, cache=cache)
        print(f"contexten warm (all cached):    {warm:6.2f} s  {mb / warm:6.2f} MB/s   "
              f"{pooled / warm:.1f}x faster than cold")  # fmt: skip
        cache.close()
        lines, timings = one_file_update(stdlib, args.lines, scratch)
        print(f"one-file update, {lines:,}-line repository: median {statistics.median(timings):.1f} ms, "
              f"max {max(timings):.1f} ms over {len(timings)} touches (target < 50 ms)")  # fmt: skip
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
