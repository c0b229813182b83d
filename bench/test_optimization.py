"""test_optimization on a repository the size of pip's vendored packages, against a plain pytest run of
the same tests measured in the same run.

    python bench/test_optimization.py [--files 40] [--tests 25] [--repeat 3]

The real path: a real daemon in a temporary home, the corpus (bench/supply_corpus.py: pip/_vendor, ~117k
lines) with a generated suite (`--files` test files of `--tests` tests each, every file importing a module
of its own; one test in ten takes 10 ms), pinned as a local project whose test_command is pytest. Timed
from the run's start to its end as the daemon records them: a worktree at HEAD, pytest with its JUnit
report, every test's result stored with the `ci.tests` event, the history report, and the selection for
the last commit (the analysis of the whole tree, cached after the first run; the import graph walked back
from the changed file).

The raw baseline, in the same run: `python -m pytest -q tests` in the repository, as a developer would.
Prints the plain run, the first and the repeated test_optimization run (median of `--repeat`), their ratios,
and what the selection would save.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from real_daemon import real_daemon
from supply_corpus import ENV, make_corpus, python_lines


def add_suite(repo: Path, files: int, tests: int) -> None:
    (repo / "lib").mkdir()
    (repo / "lib" / "__init__.py").write_text("")
    (repo / "tests").mkdir()
    for f in range(files):
        (repo / "lib" / f"mod{f}.py").write_text(f"def value(n):\n    return n + {f}\n")
        body = [f"import time\n\nfrom lib.mod{f} import value\n"]
        for t in range(tests):
            pause = "    time.sleep(0.01)\n" if t % 10 == 0 else ""
            body.append(f"\ndef test_{t}():\n{pause}    assert value({t}) == {t + f}\n")
        (repo / "tests" / f"test_mod{f}.py").write_text("".join(body))
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True, env=ENV)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "suite"], check=True, env=ENV)
    (repo / "lib" / "mod3.py").write_text("def value(n):\n    return 3 + n\n")
    subprocess.run(["git", "-C", str(repo), "commit", "-qam", "mod3 reads better"], check=True, env=ENV)


def plain(repo: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests"], cwd=repo, check=True,
                   capture_output=True)  # fmt: skip
    return time.perf_counter() - start


def optimise(env: dict[str, str], home: Path) -> tuple[float, dict[str, object]]:
    done = subprocess.run([sys.executable, "-m", "contexten", "run", "test_optimization", "--project", "corpus",
                           "--wait", "--json"], env=env, capture_output=True, text=True, timeout=1800)  # fmt: skip
    run = json.loads(done.stdout)
    if run["state"] != "COMPLETED":
        raise SystemExit(f"test_optimization failed: {run.get('error')}")
    con = sqlite3.connect(f"file:{home / 'state' / 'contexten.db'}?mode=ro", uri=True)
    (selection,) = con.execute(
        "SELECT result FROM steps WHERE run_id = ? AND name = 'selection'", (run["id"],)
    ).fetchone()
    con.close()
    return float(run["ended_at"] - run["started_at"]), json.loads(selection)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--files", type=int, default=40)
    parser.add_argument("--tests", type=int, default=25)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cxb-tests-") as tmp:
        repo = make_corpus(Path(tmp))
        add_suite(repo, args.files, args.tests)
        command = json.dumps([sys.executable, "-m", "pytest", "-q", "tests"])
        with real_daemon(f"[projects.corpus]\ntest_command = {command}\n") as daemon:
            subprocess.run([sys.executable, "-m", "contexten", "pin", str(repo)], env=daemon.env, check=True,
                           capture_output=True)  # fmt: skip
            first, selection = optimise(daemon.env, daemon.home)
            again = [optimise(daemon.env, daemon.home)[0] for _ in range(args.repeat)]
            raw = [plain(repo) for _ in range(args.repeat)]
        base, repeat = statistics.median(raw), statistics.median(again)
        print(f"corpus: pip/_vendor + {args.files * args.tests} tests, {python_lines(repo)} lines of Python")
        print(f"plain pytest run                  {base * 1000:8.1f} ms")
        print(f"test_optimization, first run      {first * 1000:8.1f} ms   {first / base:5.2f}x plain (cold analysis)")
        print(f"test_optimization, repeated       {repeat * 1000:8.1f} ms   {repeat / base:5.2f}x plain")
        chosen = selection["selected"]
        assert isinstance(chosen, list)
        print(f"selection for the last commit: {len(chosen)} of {args.files * args.tests} tests, "
              f"{selection['seconds_saved']}s of {selection['seconds_all']}s saved")  # fmt: skip


if __name__ == "__main__":
    main()
