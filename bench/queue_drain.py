"""Queue scaling: a real daemon drains 100 and then 1,000 queued runs; linear means 1,000 take about ten
times as long as 100 (issue 18: within 11x), with the runs started in the order they were queued.

    python bench/queue_drain.py [--small 100] [--large 1000] [--repeats 3]

Each run is a one-step `synthetic` run with no wait, so the time is the queue's and the engine's own:
admission, the limiter's hand-over of a freed slot, and the state writes of every run. The daemon runs 2
at once; two runs holding on a file take both slots while the others are queued behind them, then the
file is created, and the clock runs from then to the last run's completion, as a subscriber in another
process sees it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path

import zmq
from real_daemon import real_daemon  # type: ignore[import-not-found]

HOLDERS = 2


def drain(n: int) -> tuple[float, bool]:
    """Seconds from the first run's start to the last one's completion, and whether they started in order."""
    with real_daemon("[daemon]\nmax_concurrent_workflows = 2\nheartbeat_seconds = 0.1\n", "cxq-") as daemon:
        home = daemon.home
        ctx = zmq.Context()
        sub = ctx.socket(zmq.SUB)
        sub.setsockopt(zmq.RCVHWM, 0)
        sub.setsockopt(zmq.SUBSCRIBE, b"ev")
        sub.connect(f"ipc://{home}/run/events.sock")
        hold = home / "release"
        ids = asyncio.run(_queue(home, n, hold))
        released = time.time()
        hold.touch()
        done = 0
        while done < n + HOLDERS:
            event = json.loads(sub.recv_multipart()[1])
            if event["kind"] == "run.state" and event["data"].get("state") == "COMPLETED":
                done += 1
        seconds = time.time() - released
        sub.close()
        ctx.term()
        return seconds, _start_order(home)[HOLDERS:] == sorted(ids)


async def _queue(home: Path, n: int, hold: Path) -> list[int]:
    """Start the holders, then queue `n` runs behind them; their ids in the order they were queued."""
    from contexten.client.connection import DaemonClient
    from contexten.common.paths import resolve_paths
    from contexten.common.protocol import StartRun

    client = DaemonClient(resolve_paths({"CONTEXTEN_HOME": str(home)}), timeout=120)
    gate = asyncio.Semaphore(8)  # the daemon's in-flight limit per client

    async def one() -> int:
        async with gate:
            return (await client.call(StartRun(flow="synthetic", params={"steps": 1, "step_ms": 0}))).id

    try:
        for _ in range(HOLDERS):
            params = {"steps": 1, "step_ms": 0, "hold_file": str(hold)}
            await client.call(StartRun(flow="synthetic", params=params))
        return list(await asyncio.gather(*(one() for _ in range(n))))
    finally:
        await client.aclose()


def _start_order(home: Path) -> list[int]:
    """Run ids in the order their RUNNING state was stored."""
    import sqlite3

    con = sqlite3.connect(f"file:{home}/state/contexten.db?mode=ro", uri=True)
    try:
        rows = con.execute(
            "SELECT run_id FROM events WHERE kind = 'run.state' AND json_extract(data, '$.state') = 'RUNNING' "
            "ORDER BY seq"
        ).fetchall()
    finally:
        con.close()
    seen: list[int] = []
    for (run_id,) in rows:
        if run_id not in seen:
            seen.append(run_id)
    return seen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", type=int, default=100)
    parser.add_argument("--large", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    small, large, ordered = [], [], True
    for _ in range(args.repeats):
        seconds, in_order = drain(args.small)
        small.append(seconds)
        ordered &= in_order
        seconds, in_order = drain(args.large)
        large.append(seconds)
        ordered &= in_order
    s, big = statistics.median(small), statistics.median(large)
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}; {args.repeats} repeats, medians")
    print(f"{args.small:>6} runs  {s:7.2f} s   ({min(small):.2f}-{max(small):.2f})   {args.small / s:,.0f} runs/s")
    print(f"{args.large:>6} runs  {big:7.2f} s   ({min(large):.2f}-{max(large):.2f})   {args.large / big:,.0f} runs/s")
    print(f"{args.large} / {args.small} = {big / s:.1f} x   (linear: {args.large / args.small:.0f} x; target <= 11 x)")
    print(f"started in the order queued: {'yes' if ordered else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
