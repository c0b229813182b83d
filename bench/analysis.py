"""Analysis benchmark on a real corpus: the Python standard library of this interpreter, plus any JS/TS
trees named on the command line. Every figure is paired with its baseline in the same run and repeated.

    python bench/analysis.py [JS_OR_TS_DIR ...] [--lines 100000] [--repeats 3] [--workers 2] [--no-daemon]

- Cold analysis (no cache), each in a fresh process beside lizard doing the same files in one: contexten
  with one worker against lizard single-threaded, and with N workers against `lizard -t N`; wall time
  and the peak memory of the process and its workers together (RSS sampled every 10 ms). Min and median
  of `--repeats` pairs. Issue 18: >= 2x `lizard -t2`, peak memory <= 3x lizard's.
- Warm analysis (every file cached), in process.
- A one-file update on a ~`--lines` repository: five files chosen by size (10th to 90th percentile of the
  tree's files, not whichever comes first), each touched `--repeats` times; the update and the report
  after it, against the same file's bare tree-sitter parse and against rebuilding the report's cross-file
  findings from scratch (what the watch did before). Issue 18: < 30 ms.
- The same through a real daemon watching the repository: from the write to its `analysis.updated`
  event at a subscriber, and the analysis time the daemon reports in it (`elapsed_ms`).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from pathlib import Path

import psutil
import zmq
from real_daemon import real_daemon  # type: ignore[import-not-found]

from contexten.analysis.analyzer import AnalysisSettings, Analyzer
from contexten.analysis.cache import AnalysisCache
from contexten.analysis.duplicates import find_duplicates
from contexten.analysis.graph import build_graph
from contexten.analysis.languages import language_of, parser_for
from contexten.analysis.walk import discover

EXCLUDE = ("site-packages",)

CONTEXTEN_COLD = """
import sys
from contexten.analysis.analyzer import AnalysisSettings, Analyzer
workers, roots = int(sys.argv[1]), sys.argv[2:]
for root in roots:
    Analyzer(root, AnalysisSettings(workers=workers, exclude=("site-packages",))).analyse()
"""


def corpus(roots: list[Path]) -> list[tuple[Path, str]]:
    return [(root, rel) for root in roots for rel in discover(str(root), EXCLUDE).files]


def raw_parse(files: list[tuple[Path, str]]) -> tuple[float, int]:
    data = [((root / rel).read_bytes(), language_of(rel)) for root, rel in files]
    size = sum(len(d) for d, _ in data)
    started = time.perf_counter()
    for d, spec in data:
        assert spec is not None
        parser_for(spec).parse(d)
    return time.perf_counter() - started, size


def measured(argv: list[str], ok: tuple[int, ...] = (0,)) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of a process and all its children together."""
    started = time.perf_counter()
    proc = psutil.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0
    while proc.poll() is None:
        try:
            tree = [proc, *proc.children(recursive=True)]
            peak = max(peak, sum(p.memory_info().rss for p in tree if p.is_running()))
        except psutil.Error:
            pass  # a worker that just ended
        time.sleep(0.01)  # the sampling interval, not a wait for an event
    elapsed = time.perf_counter() - started
    if proc.returncode not in ok:
        raise SystemExit(f"{argv[:4]} failed with {proc.returncode}")
    return elapsed, peak / 1e6


def cold_pairs(roots: list[Path], listing: Path, workers: int, repeats: int) -> dict[str, list[tuple[float, float]]]:
    out: dict[str, list[tuple[float, float]]] = {"lizard": [], "contexten": [], "lizard -t": [], "contexten -w": []}
    lizard = [sys.executable, "-m", "lizard", "-f", str(listing)]
    warned = (0, 1)  # lizard exits 1 when a function is over its thresholds
    mine = [sys.executable, "-c", CONTEXTEN_COLD]
    for _ in range(repeats):
        out["lizard"].append(measured(lizard, warned))
        out["contexten"].append(measured([*mine, "1", *map(str, roots)]))
        out["lizard -t"].append(measured([*lizard, "-t", str(workers)], warned))
        out["contexten -w"].append(measured([*mine, str(workers), *map(str, roots)]))
    return out


def warm(roots: list[Path], cache: AnalysisCache) -> float:
    started = time.perf_counter()
    for root in roots:
        Analyzer(str(root), AnalysisSettings(exclude=EXCLUDE), cache).analyse()
    return time.perf_counter() - started


def make_repo(stdlib: Path, lines: int, repo: Path) -> int:
    """Stdlib modules (tests left out) copied until `lines` lines: a realistic tree of that size."""
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
    return total


def targets(repo: Path) -> list[Path]:
    """Five files at the 10th, 30th, 50th, 70th and 90th percentile of size."""
    files = sorted(repo.rglob("*.py"), key=lambda p: (p.stat().st_size, str(p)))
    return [files[int(len(files) * q)] for q in (0.1, 0.3, 0.5, 0.7, 0.9)]


def touch(path: Path, n: int) -> None:
    with path.open("a") as handle:
        handle.write(f"\n\ndef touched_{n}(x):\n    return x if x else {n}\n")


def one_file_updates(repo: Path, scratch: Path, repeats: int) -> dict[str, list[float]]:
    cache = AnalysisCache(str(scratch / "update-cache.db"))
    analyzer = Analyzer(str(repo), AnalysisSettings(workers=1), cache)
    analyzer.analyse()
    out: dict[str, list[float]] = {"update": [], "parse": [], "rebuild": []}
    n = 0
    for target in targets(repo):
        spec = language_of(target.name)
        assert spec is not None
        for _ in range(repeats):
            n += 1
            touch(target, n)
            started = time.perf_counter()
            parser_for(spec).parse(target.read_bytes())
            out["parse"].append((time.perf_counter() - started) * 1000)
            started = time.perf_counter()
            analyzer.update([str(target)])
            analyzer.report().summary()
            out["update"].append((time.perf_counter() - started) * 1000)
            # What the watch did before: every cross-file finding rebuilt from all the files' facts.
            live = {p: f for p, f in analyzer.files.items() if not f.skipped}
            started = time.perf_counter()
            find_duplicates(live, analyzer.settings.min_duplicate_tokens, analyzer.settings.min_duplicate_lines)
            build_graph(live)
            out["rebuild"].append((time.perf_counter() - started) * 1000)
    cache.close()
    return out


def through_daemon(repo: Path, repeats: int) -> dict[str, list[float]]:
    """A real daemon watching `repo`: each touch's time from the write to its `analysis.updated` event."""
    out: dict[str, list[float]] = {"wall": [], "elapsed": []}
    with real_daemon("[analysis]\nwatch = true\n", "cxa-") as daemon:
        ctx = zmq.Context()
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.SUBSCRIBE, b"ev")
        sub.connect(f"ipc://{daemon.home}/run/events.sock")
        events: list[tuple[float, dict[str, object]]] = []
        arrived = threading.Condition()

        def receive() -> None:
            while True:
                try:
                    _, payload = sub.recv_multipart()
                except zmq.ZMQError:
                    return
                with arrived:
                    events.append((time.perf_counter(), json.loads(payload)))
                    arrived.notify_all()

        def wait_for(kind: str, after: int, timeout: float = 600) -> tuple[float, dict[str, object]]:
            with arrived:
                if not arrived.wait_for(lambda: any(e["kind"] == kind for _, e in events[after:]), timeout):
                    raise SystemExit(f"no {kind} within {timeout:g}s")
                return next((t, e) for t, e in events[after:] if e["kind"] == kind)

        threading.Thread(target=receive, daemon=True).start()
        git = {**daemon.env, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b",
               "GIT_COMMITTER_EMAIL": "b@x"}  # fmt: skip
        for cmd in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-qm", "the tree"]):
            subprocess.run(cmd, cwd=repo, env=git, check=True)  # a local project is a git repository
        pinned = subprocess.run([sys.executable, "-m", "contexten", "pin", str(repo)], env=daemon.env,
                                capture_output=True, text=True)  # fmt: skip
        if pinned.returncode:
            raise SystemExit(f"pin failed: {pinned.stderr}")
        wait_for("analysis.watching", 0)
        n = 1000
        for target in targets(repo):
            for _ in range(repeats):
                n += 1
                with arrived:
                    seen = len(events)
                written = time.perf_counter()
                touch(target, n)
                at, event = wait_for("analysis.updated", seen)
                out["wall"].append((at - written) * 1000)
                out["elapsed"].append(float(event["data"]["elapsed_ms"]))  # type: ignore[index]
        sub.close(0)
        ctx.term()
    return out


def spread(values: list[float], unit: str = "ms") -> str:
    return f"min {min(values):7.1f} / median {statistics.median(values):7.1f} {unit}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("extra", nargs="*", type=Path, help="JS/TS source trees to add to the corpus")
    parser.add_argument("--lines", type=int, default=100_000, help="size of the repository for the updates")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    parser.add_argument("--no-daemon", action="store_true", help="skip the update through a real daemon")
    args = parser.parse_args()
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    roots = [stdlib, *args.extra]
    files = corpus(roots)
    parse_s, size = raw_parse(files)
    mb = size / 1e6
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}")
    print(f"corpus: {len(files)} files, {mb:.1f} MB ({', '.join(str(r) for r in roots)})")
    print(f"raw tree-sitter parse, one core: {parse_s:6.2f} s  {mb / parse_s:6.2f} MB/s")
    scratch = Path(tempfile.mkdtemp(prefix="cx-bench-"))
    try:
        listing = scratch / "files.txt"
        listing.write_text("".join(f"{root / rel}\n" for root, rel in files))
        pairs = cold_pairs(roots, listing, args.workers, args.repeats)
        print(f"cold analysis, {args.repeats} pairs, each in a fresh process (wall time; peak RSS with workers):")
        many = f"{args.workers} workers vs lizard -t{args.workers}"
        for mine, theirs, label in (("contexten", "lizard", "1 worker vs lizard"), ("contexten -w", "lizard -t", many)):
            t_mine = [t for t, _ in pairs[mine]]
            t_theirs = [t for t, _ in pairs[theirs]]
            m_mine = [m for _, m in pairs[mine]]
            m_theirs = [m for _, m in pairs[theirs]]
            print(f"  {label}:")
            print(f"    lizard     {spread(t_theirs, 's')}   peak {max(m_theirs):6.0f} MB")
            print(f"    contexten  {spread(t_mine, 's')}   peak {max(m_mine):6.0f} MB")
            speed, memory = statistics.median(t_theirs) / statistics.median(t_mine), max(m_mine) / max(m_theirs)
            print(f"    speed {speed:.2f} x lizard (medians; target >= 2 x for -t2), memory {memory:.1f} x lizard's "
                  "(target <= 3 x)")  # fmt: skip
        cache = AnalysisCache(str(scratch / "corpus.db"))
        warm(roots, cache)  # fills the cache
        warm_s = min(warm(roots, cache) for _ in range(args.repeats))
        print(f"warm analysis (all cached), min of {args.repeats}: {warm_s:6.2f} s")
        cache.close()
        repo = scratch / "repo"
        lines = make_repo(stdlib, args.lines, repo)
        updates = one_file_updates(repo, scratch, args.repeats)
        print(f"one-file update, {lines:,}-line repository, 5 files by size x {args.repeats} touches:")
        print(f"  bare parse of the file         {spread(updates['parse'])}")
        print(f"  update + report (contexten)    {spread(updates['update'])}   max {max(updates['update']):.1f} ms")
        print(f"  cross-file findings rebuilt    {spread(updates['rebuild'])}   (the watch's old way, for scale)")
        ratio = statistics.median(updates["update"]) / statistics.median(updates["parse"])
        print(f"  update / bare parse = {ratio:.1f} x; target < 30 ms")
        if not args.no_daemon:
            seen = through_daemon(repo, args.repeats)
            print("  through a real daemon watching it:")
            print(f"    write -> analysis.updated    {spread(seen['wall'])}   (the watcher hands an edit over "
                  "1-2 steps of 50 ms after it)")  # fmt: skip
            print(f"    the daemon's analysis time   {spread(seen['elapsed'])}   (elapsed_ms in the event)")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
