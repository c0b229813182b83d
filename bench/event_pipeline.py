"""The event path with its state writes: a real daemon running real runs, against a minimal process doing
the same SQL, measured in the same run at a subscriber in another process.

    python bench/event_pipeline.py [--runs 8] [--steps 250] [--rate 5000] [--latency-runs 20] [--seconds 6]
                                   [--repeats 3]

What the daemon does is what it does for every run: `synthetic` runs (step_ms=0 for throughput), each step
recorded RUNNING, ten progress updates, COMPLETED; every one a state write and its event in one
transaction, published after the commit; state changes wait for their commit. The baseline is a minimal
process (asyncio + sqlite3 + a PUB socket) that runs the same lifecycle for the same runs, with the same
statements (the daemon's own SQL builders, on the daemon's own schema and triggers) and the same
durability, and nothing else: no models, no engine, no router.

Prints events/s for both and the ratio (issue 18: >= 0.6 x), then p50/p99 latency from an event's
timestamp to its arrival at the subscriber with `--latency-runs` runs paced to offer `--rate` events/s
(issue 18: p99 < 10 ms at 5,000/s).
Each figure is the median of `--repeats`, daemon and baseline alternating.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import zmq
from real_daemon import real_daemon  # type: ignore[import-not-found]

TICKS = 10  # the synthetic flow's progress updates per step


# ---- the subscriber (another process) ----------------------------------------------------------------


def subscriber(endpoint: str, runs: int, pipe: Connection) -> None:
    """Count run events until `runs` runs completed; report the span and each event's latency."""
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.RCVHWM, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(endpoint)
    sub.recv_multipart()  # a heartbeat (or anything): subscribed
    pipe.send("ready")
    latencies: list[float] = []
    first = last = 0.0
    completed = 0
    while completed < runs:
        topic, payload = sub.recv_multipart()
        if topic != b"ev":
            continue
        now = time.time()
        event = json.loads(payload)
        if event["run"] is None:
            continue
        first = first or now
        last = now
        latencies.append((now - event["ts"]) * 1000)
        if event["kind"] == "run.state" and event["data"].get("state") == "COMPLETED":
            completed += 1
    pipe.send({"events": len(latencies), "span": last - first, "latencies": latencies})
    sub.close()
    ctx.term()


class Subscribers:
    """`n` subscriber processes, each joined before anything is measured."""

    def __init__(self, endpoint: str, runs: int, n: int) -> None:
        ctx = mp.get_context("spawn")
        self._pipes: list[Connection] = []
        self._procs: list[mp.process.BaseProcess] = []
        for _ in range(n):
            parent, child = ctx.Pipe()
            proc = ctx.Process(target=subscriber, args=(endpoint, runs, child), daemon=True)
            proc.start()
            self._pipes.append(parent)
            self._procs.append(proc)

    def joined(self) -> None:
        for pipe in self._pipes:
            pipe.recv()

    def results(self) -> dict[str, float]:
        """The slowest subscriber's figures: what every subscriber got at least."""
        each = [summary(pipe.recv()) for pipe in self._pipes]
        for proc in self._procs:
            proc.join()
        return min(each, key=lambda r: r["rate"]) | {"p99": max(r["p99"] for r in each)}


def summary(result: dict[str, Any]) -> dict[str, float]:
    lat = sorted(result["latencies"])
    return {
        "events": result["events"],
        "rate": result["events"] / result["span"],
        "p50": statistics.median(lat),
        "p99": lat[int(len(lat) * 0.99) - 1],
    }


# ---- the real daemon ------------------------------------------------------------------------------


def daemon_round(runs: int, steps: int, step_ms: int, subscribers: int = 1, extra: str = "") -> dict[str, float]:
    config = f"[daemon]\nmax_concurrent_workflows = {runs}\nheartbeat_seconds = 0.1\n" + extra
    with real_daemon(config, "cxe-") as daemon:
        subs = Subscribers(f"ipc://{daemon.home}/run/events.sock", runs, subscribers)
        subs.joined()
        params = json.dumps({"steps": steps, "step_ms": step_ms})
        asyncio.run(_start_runs(daemon.home, runs, params))
        return subs.results()


async def _start_runs(home: Path, runs: int, params: str) -> None:
    from contexten.client.connection import DaemonClient
    from contexten.common.paths import resolve_paths
    from contexten.common.protocol import StartRun

    client = DaemonClient(resolve_paths({"CONTEXTEN_HOME": str(home)}))
    try:
        await asyncio.gather(*(client.call(StartRun(flow="synthetic", params=json.loads(params))) for _ in range(runs)))
    finally:
        await client.aclose()


# ---- the minimal process doing the same SQL --------------------------------------------------------


def minimal_round(runs: int, steps: int, step_ms: int, subscribers: int = 1) -> dict[str, float]:
    home = Path(tempfile.mkdtemp(prefix="cxm-", dir="/tmp"))
    try:
        asyncio.run(_schema(home / "c.db"))
        endpoint = f"ipc://{home}/events.sock"
        ready = mp.get_context("spawn").Event()
        producer = mp.get_context("spawn").Process(
            target=minimal_process, args=(str(home / "c.db"), endpoint, runs, steps, step_ms, ready), daemon=True
        )
        producer.start()
        subs = Subscribers(endpoint, runs, subscribers)
        subs.joined()
        ready.set()
        result = subs.results()
        producer.join(60)
        return result
    finally:
        shutil.rmtree(home, ignore_errors=True)


async def _schema(path: Path) -> None:
    from contexten.daemon.platform.store.database import open_database

    db = await open_database(path)  # the daemon's schema, migrations and transition triggers
    await db.close()


def minimal_process(path: str, endpoint: str, runs: int, steps: int, step_ms: int, go: Any) -> None:
    asyncio.run(_minimal(path, endpoint, runs, steps, step_ms, go))


async def _minimal(path: str, endpoint: str, runs: int, steps: int, step_ms: int, go: Any) -> None:
    from contexten.daemon.slices.runs.store import insert_run, update_run, update_step

    con = sqlite3.connect(path, isolation_level=None)
    for pragma in ("busy_timeout=5000", "journal_mode=WAL", "synchronous=NORMAL", "foreign_keys=ON"):
        con.execute(f"PRAGMA {pragma}")
    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    pub.setsockopt(zmq.SNDHWM, 0)
    pub.bind(endpoint)
    queue: list[tuple[tuple[Any, ...], list[tuple[str, tuple[Any, ...]]], asyncio.Future[None] | None]] = []
    wake = asyncio.Event()
    seq = 0

    def emit(kind: str, data: dict[str, Any], run: int, writes: list[Any], wait: bool) -> asyncio.Future[None] | None:
        nonlocal seq
        seq += 1
        done = asyncio.get_running_loop().create_future() if wait else None
        queue.append(((seq, time.time(), kind, run, None, json.dumps(data)), writes, done))
        wake.set()
        return done

    async def writer() -> None:
        while True:
            await wake.wait()
            wake.clear()
            while queue:
                batch = queue[:5000]
                del queue[:5000]
                con.execute("BEGIN IMMEDIATE")
                for _, writes, _ in batch:
                    for sql, params in writes:
                        con.execute(sql, params)
                con.executemany("INSERT INTO events (seq, ts, kind, run_id, project, data) VALUES (?, ?, ?, ?, ?, ?)",
                                [row for row, _, _ in batch])  # fmt: skip
                con.execute("COMMIT")
                for (s, ts, kind, run, _, data), _, done in batch:
                    payload = f'{{"seq":{s},"ts":{ts!r},"kind":"{kind}","run":{run},"project":null,"data":{data}}}'
                    pub.send_multipart((b"ev", payload.encode()))
                    if done is not None:
                        done.set_result(None)

    async def commit(kind: str, data: dict[str, Any], run: int, writes: list[Any]) -> None:
        done = emit(kind, data, run, writes, wait=True)
        assert done is not None
        await done

    async def one_run(run_id: int) -> None:
        from contexten.common.models import Run, RunState, Step

        now = time.time()
        run = Run(id=run_id, flow="synthetic", params={"steps": steps, "step_ms": step_ms}, state=RunState.PENDING,
                  created_at=now, steps=[Step(index=i, name=f"step-{i + 1}") for i in range(steps)])  # fmt: skip
        await commit("run.created", {"run": run.model_dump(mode="json")}, run_id, insert_run(run))
        fields: dict[str, Any] = {"state": "RUNNING", "started_at": time.time(), "waiting_for": None}
        await commit("run.state", fields, run_id, [update_run(run_id, fields)])
        for i in range(steps):
            fields = {"state": "RUNNING", "attempts": 1, "started_at": time.time(), "ended_at": None, "error": None}
            await commit("step.state", {"index": i, **fields}, run_id, [update_step(run_id, i, fields)])
            for t in range(1, TICKS + 1):
                await asyncio.sleep(step_ms / 1000 / TICKS)
                progress = {"progress": t / TICKS, "message": f"{t}/{TICKS}"}
                emit("step.progress", {"index": i, **progress}, run_id, [update_step(run_id, i, progress)], wait=False)
            fields = {"state": "COMPLETED", "ended_at": time.time(), "progress": 1.0, "error": None, "failure": None}
            await commit("step.state", {"index": i, **fields}, run_id,
                         [update_step(run_id, i, {**fields, "result": {}})])  # fmt: skip
        fields = {"state": "COMPLETED", "ended_at": time.time(), "error": None}
        await commit("run.state", fields, run_id, [update_run(run_id, fields)])

    task = asyncio.create_task(writer())
    while not go.is_set():  # heartbeats until the subscriber has joined
        pub.send_multipart((b"hb", b"{}"))
        await asyncio.sleep(0.05)
    await asyncio.gather(*(one_run(r) for r in range(1, runs + 1)))
    task.cancel()
    pub.close(linger=1000)
    ctx.term()
    con.close()


# ---- the report -------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=8, help="runs at once")
    parser.add_argument("--steps", type=int, default=250, help="steps per run (12 events each) for throughput")
    parser.add_argument("--rate", type=float, default=5000.0, help="offered load for the latency figures")
    parser.add_argument("--latency-runs", type=int, default=20, help="runs at once for the latency figures")
    parser.add_argument("--seconds", type=float, default=6.0, help="length of the latency rounds")
    parser.add_argument("--subscribers", type=int, default=10, help="subscribers for the fan-out figures")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    # Throughput: as fast as the path goes. Latency: steps paced so the runs together offer --rate. A step's
    # ten sleeps take longer than asked (each wakes late), so the pace is calibrated once on the minimal
    # process: the step time that gives --rate events/s received there is used for both.
    step_ms = max(1, round(args.latency_runs * (TICKS + 2) / args.rate * 1000))
    for _ in range(2):  # the lateness is per sleep, not in proportion: a second probe corrects the first
        probe = minimal_round(args.latency_runs, max(1, round(1500 / step_ms)), step_ms)
        step_ms = max(1, round(step_ms * probe["rate"] / args.rate))
    paced_steps = max(1, round(args.seconds * 1000 / step_ms))
    names = ("daemon", "minimal", "daemon@fan", "minimal@fan", "daemon@rate", "minimal@rate")
    rows: dict[str, list[dict[str, float]]] = {name: [] for name in names}
    for _ in range(args.repeats):
        rows["daemon"].append(daemon_round(args.runs, args.steps, 0))
        rows["minimal"].append(minimal_round(args.runs, args.steps, 0))
        rows["daemon@fan"].append(daemon_round(args.runs, args.steps, 0, args.subscribers))
        rows["minimal@fan"].append(minimal_round(args.runs, args.steps, 0, args.subscribers))
        rows["daemon@rate"].append(daemon_round(args.latency_runs, paced_steps, step_ms))
        rows["minimal@rate"].append(minimal_round(args.latency_runs, paced_steps, step_ms))

    def med(name: str, key: str) -> float:
        return statistics.median(r[key] for r in rows[name])

    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}, pyzmq {zmq.__version__}, "
          f"sqlite {sqlite3.sqlite_version}; {args.repeats} repeats, medians (min-max)")  # fmt: skip
    events = int(med("daemon", "events"))
    print(f"throughput: {args.runs} runs x {args.steps} steps at once, {events:,} run events")
    for name in ("daemon", "minimal"):
        rates = [r["rate"] for r in rows[name]]
        print(f"  {name:<8} {med(name, 'rate'):>9,.0f} events/s  ({min(rates):,.0f}-{max(rates):,.0f})")
    ratio = med("daemon", "rate") / med("minimal", "rate")
    print(f"  daemon / minimal = {ratio:.2f} x   (target >= 0.6)")
    print(f"fan-out: the same with {args.subscribers} subscribers (the slowest one's figures)")
    for name in ("daemon@fan", "minimal@fan"):
        print(f"  {name.split('@')[0]:<8} {med(name, 'rate'):>9,.0f} events/s  p50 {med(name, 'p50'):8.2f} ms"
              f"  = {med(name, 'rate') / med(name.split('@')[0], 'rate'):.2f} x its one-subscriber rate")  # fmt: skip
    print(f"  daemon / minimal = {med('daemon@fan', 'rate') / med('minimal@fan', 'rate'):.2f} x")
    print(f"latency: {args.latency_runs} runs, a step every {step_ms} ms each (paced for {args.rate:,.0f} events/s)")
    for name in ("daemon@rate", "minimal@rate"):
        p99s = [r["p99"] for r in rows[name]]
        print(f"  {name.split('@')[0]:<8} p50 {med(name, 'p50'):6.2f} ms   p99 {med(name, 'p99'):6.2f} ms"
              f"  ({min(p99s):.2f}-{max(p99s):.2f})   received {med(name, 'rate'):,.0f} events/s")  # fmt: skip
    print("  (the minimal process leaves WAL checkpoints to SQLite, inside its commits; the daemon runs them on")
    print("   a thread of their own: that is most of the difference in p99)")
    print("  target: daemon p99 < 10 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
