"""Idle footprint: a real daemon with 1 and with 20 pinned repositories, watching them and doing nothing
else, against a minimal daemon (asyncio, a SQLite connection, a PUB and a ROUTER socket, a heartbeat a
second) in the same run. Issue 18: idle RSS < 60 MB and idle CPU < 0.5% with 20 repositories.

    python bench/idle.py [--repos 1,20] [--seconds 20]

Each daemon is measured once it is idle: every repository pinned, analysed and watched (its
`analysis.watching` event seen), then RSS at the end and CPU over `--seconds` (user + system time of the
process and its threads, over wall time).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil
from real_daemon import real_daemon  # type: ignore[import-not-found]

MINIMAL = """
import asyncio, sqlite3, sys, zmq, zmq.asyncio
async def main():
    con = sqlite3.connect(sys.argv[1]); con.execute("PRAGMA journal_mode=WAL")
    ctx = zmq.asyncio.Context(); pub = ctx.socket(zmq.PUB); pub.bind(f"ipc://{sys.argv[2]}/e.sock")
    router = ctx.socket(zmq.ROUTER); router.bind(f"ipc://{sys.argv[2]}/c.sock")
    print("ready", flush=True)
    while True:
        pub.send_multipart([b"hb", b"{}"])
        await asyncio.sleep(1)
asyncio.run(main())
"""


def make_repo(root: Path, n: int) -> Path:
    repo = root / f"repo-{n:02d}"
    (repo / "pkg").mkdir(parents=True)
    for i in range(5):
        (repo / "pkg" / f"mod{i}.py").write_text(
            f"import os\n\n\ndef f{i}(a, b):\n    if a > b:\n        return a - b\n    return os.sep * b\n"
        )
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@x", "GIT_COMMITTER_NAME": "b",
           "GIT_COMMITTER_EMAIL": "b@x"}  # fmt: skip
    for cmd in (["git", "init", "-q"], ["git", "add", "."], ["git", "commit", "-qm", "init"]):
        subprocess.run(cmd, cwd=repo, env=env, check=True)
    return repo


def on_cpu_ns(pid: int) -> dict[int, int]:
    """Nanoseconds each thread has run (the scheduler's own count; `cpu_times` has 10 ms ticks)."""
    out = {}
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            out[int(task.name)] = int((task / "schedstat").read_text().split()[0])
        except (OSError, ValueError):
            continue  # a thread that ended
    return out


def measure(pid: int, seconds: float) -> tuple[float, float]:
    before, started = on_cpu_ns(pid), time.monotonic()
    time.sleep(seconds)  # the measured window itself: idle is what happens while nothing is asked
    after, wall = on_cpu_ns(pid), time.monotonic() - started
    used = sum(ns - before.get(tid, 0) for tid, ns in after.items())
    return psutil.Process(pid).memory_info().rss / 2**20, used / 1e9 / wall * 100


def daemon(repos: int, seconds: float) -> tuple[float, float]:
    with real_daemon(prefix="cxi-") as d:
        for n in range(repos):
            repo = make_repo(d.home / "repos", n)
            subprocess.run([sys.executable, "-m", "contexten", "pin", str(repo)], env=d.env, check=True,
                           capture_output=True)  # fmt: skip
        deadline = time.monotonic() + 300
        while _watching(d.env) < repos:
            if time.monotonic() > deadline:
                raise SystemExit("the repositories were not all watched within 300 s")
            time.sleep(0.5)  # analysis of the pinned repositories, not measured
        return measure(d.proc.pid, seconds)


def _watching(env: dict[str, str]) -> int:
    out = subprocess.run([sys.executable, "-m", "contexten", "events", "--json", "--filter", "kind:analysis.watching"],
                         env=env, capture_output=True, text=True).stdout  # fmt: skip
    return len({json.loads(line)["project"] for line in out.splitlines() if line.strip()})


def minimal(seconds: float) -> tuple[float, float]:
    home = Path(tempfile.mkdtemp(prefix="cxi-", dir="/tmp"))
    proc = subprocess.Popen([sys.executable, "-c", MINIMAL, str(home / "m.db"), str(home)], stdout=subprocess.PIPE,
                            text=True)  # fmt: skip
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        return measure(proc.pid, seconds)
    finally:
        proc.terminate()
        proc.wait(60)
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repos", default="1,20")
    parser.add_argument("--seconds", type=float, default=20.0)
    args = parser.parse_args()
    base_rss, base_cpu = minimal(args.seconds)
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}; CPU over {args.seconds:.0f} s idle")
    print(f"minimal daemon           RSS {base_rss:6.1f} MB   CPU {base_cpu:5.2f} %")
    for repos in (int(r) for r in args.repos.split(",")):
        rss, cpu = daemon(repos, args.seconds)
        print(f"contexten, {repos:>2} repositories RSS {rss:6.1f} MB   CPU {cpu:5.2f} %   "
              f"({rss / base_rss:.1f} x, {cpu / max(base_cpu, 0.01):.0f} x the minimal daemon)")  # fmt: skip
    print("target with 20 repositories: RSS < 60 MB, CPU < 0.5 %")
    return 0


if __name__ == "__main__":
    sys.exit(main())
