"""Polling benchmark: contexten's poller against a naive one (no conditional requests), same fake GitHub.

    python bench/polling.py [--repos 200] [--cycles 5] [--active 0.05]

Each cycle polls every repository once; `--active` is the share of repositories whose pull request changes
between cycles. Prints, per cycle and poller: requests sent, rate-limit points spent (requests not answered
304), events emitted, wall time and the polling thread's CPU time; then the hourly cost at a 60 s cycle
against a 5,000 points/hour budget.
Targets (issue 4): zero points per cycle for idle repositories; 200 repositories at 60 s within 5,000/hour.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # for the fake server in tests/fakes

from tests.fakes.github_server import FakeGitHub, add_hello_world

from contexten.common.clock import SystemClock
from contexten.daemon.platform.credentials import Secret
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.store.database import open_database
from contexten.daemon.slices.connectors.forge.github.forge import GitHubForge
from contexten.daemon.slices.connectors.forge.github.http import GitHubHTTP
from contexten.daemon.slices.connectors.forge.github.poller import PollSettings, RepoPoller
from contexten.daemon.slices.connectors.http.cache import Cached, HttpCache

BUDGET = 5000


class NoCache(HttpCache):
    """What a naive poller does: never sends If-None-Match, so every answer is a full, billable 200."""

    def __init__(self) -> None:
        pass

    async def get(self, url: str) -> Cached | None:
        return None

    async def put(self, url: str, etag: str | None, last_modified: str | None, body: bytes, now: float) -> None:
        return None


Row = tuple[int, int, int, float, float]  # requests, points, events, wall ms, CPU ms


async def run(repos: int, cycles: int, active: float, naive: bool, home: Path) -> list[Row]:
    fake = FakeGitHub([])
    recorded = [add_hello_world(fake, f"acme/repo-{i}") for i in range(repos)]
    database = home / f"{'naive' if naive else 'contexten'}.db"
    db = await open_database(database)
    events = EventLog(database, lambda _p: None, SystemClock(), last_seq=0)
    events.start()
    cache: HttpCache = NoCache() if naive else await HttpCache.open(home / "cache.db")
    rng = random.Random(1)
    rows: list[Row] = []
    with fake.running():
        http = GitHubHTTP(fake.url, Secret("ghp_bench"), cache, SystemClock(), timeout=30)
        pollers = [
            RepoPoller(f"repo-{i}", GitHubForge(f"repo-{i}", f"acme/repo-{i}", http), http, events, PollSettings())
            for i in range(repos)
        ]
        for cycle in range(cycles):
            if cycle:
                for r in rng.sample(recorded, int(repos * active)):
                    r["pr"] = {**r["pr"], "updated_at": f"2026-01-01T00:00:{cycle:02d}Z"}
                    fake.add("GET", f"{r['base']}/pulls?state=open&per_page=100", 200, [r["pr"]])
            sent, billed = http.sent, fake.billable
            emitted = 0
            # CPU of this thread only: the fake server answers on threads of its own in this process.
            wall, cpu = time.perf_counter(), time.thread_time()
            for start in range(0, repos, 20):  # twenty at a time, as a poller pool would
                results = await asyncio.gather(*(p.poll() for p in pollers[start : start + 20]))
                emitted += sum(len(r.events) for r in results)
            rows.append((http.sent - sent, fake.billable - billed, emitted,
                         (time.perf_counter() - wall) * 1000, (time.thread_time() - cpu) * 1000))  # fmt: skip
        await http.aclose()
    if not naive:
        await cache.close()
    await events.close()
    await db.close()
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repos", type=int, default=200)
    parser.add_argument("--cycles", type=int, default=5)
    parser.add_argument("--active", type=float, default=0.05, help="share of repositories changing per cycle")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="cxp-", dir="/tmp"))
    try:
        started = time.monotonic()
        ours = asyncio.run(run(args.repos, args.cycles, args.active, naive=False, home=home))
        naive = asyncio.run(run(args.repos, args.cycles, args.active, naive=True, home=home))
        elapsed = time.monotonic() - started
    finally:
        shutil.rmtree(home, ignore_errors=True)
    print(f"{args.repos} repositories, {args.cycles} cycles, {args.active:.0%} changing per cycle ({elapsed:.1f} s)")
    print(f"{'cycle':>5}  {'contexten: requests':>20} {'points':>7} {'events':>7} {'ms':>7} {'cpu ms':>7}   "
          f"{'naive: requests':>16} {'points':>7} {'ms':>7} {'cpu ms':>7}")  # fmt: skip
    for i, ((req, pts, ev, ms, cpu), (nreq, npts, _, nms, ncpu)) in enumerate(zip(ours, naive, strict=True)):
        print(
            f"{i:>5}  {req:>20} {pts:>7} {ev:>7} {ms:>7.0f} {cpu:>7.0f}   {nreq:>16} {npts:>7} {nms:>7.0f} {ncpu:>7.0f}"
        )
    steady = ours[1:] or ours
    per_cycle = sum(r[1] for r in steady) / len(steady)
    naive_cycle = sum(r[1] for r in naive[1:] or naive) / len(naive[1:] or naive)
    idle = [r[1] for r in steady if r[2] == 0]
    ours_cpu = sum(r[4] for r in steady) / len(steady)
    naive_cpu = sum(r[4] for r in naive[1:] or naive) / len(naive[1:] or naive)
    print(f"CPU per steady cycle (the polling thread): contexten {ours_cpu:.0f} ms, naive {naive_cpu:.0f} ms "
          f"({ours_cpu / max(naive_cpu, 0.001):.2f}x)")  # fmt: skip
    print(f"points per steady cycle: contexten {per_cycle:.0f}, naive {naive_cycle:.0f} "
          f"({naive_cycle / max(per_cycle, 1):.0f}x)")  # fmt: skip
    print(f"at a 60 s cycle: contexten {per_cycle * 60:,.0f} points/hour, naive {naive_cycle * 60:,.0f} "
          f"(budget {BUDGET:,})")  # fmt: skip
    ok = per_cycle * 60 <= BUDGET and all(p == 0 for p in idle)
    print("targets met" if ok else "targets NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
