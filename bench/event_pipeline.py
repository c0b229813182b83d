"""Event pipeline benchmark: contexten's path against raw baselines measured in the same run.

    python bench/event_pipeline.py [--events N] [--rate R] [--seconds S]

Prints, for this machine right now:
  raw pyzmq ipc PUB/SUB rate (events/s), raw SQLite WAL batched insert rate (rows/s),
  contexten end to end (event created -> stored -> published -> received by a subscriber in another
  process) as events/s, and p50/p99 latency at a fixed offered load; with ratios to the raw baselines.
Targets (issue 2): >= 50,000 events/s end to end; p99 < 10 ms at 5,000 events/s.
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

import zmq

from contexten.common.clock import SystemClock
from contexten.common.event_kinds import EventKind
from contexten.common.models import Event
from contexten.common.paths import Paths, resolve_paths
from contexten.daemon.platform.bus import Bus
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.refusals import RefusalLog
from contexten.daemon.platform.store.database import open_database

PAYLOAD = {"index": 3, "progress": 0.5, "message": "5/10", "pad": "x" * 80}


# ---- subscriber process ---------------------------------------------------------------------------


def subscriber(endpoint: str, expected: int, parse: bool, pipe: Connection) -> None:
    """Receive until `expected` events arrived; report first/last receive times and per-event latencies."""
    ctx = zmq.Context()
    sub = ctx.socket(zmq.SUB)
    sub.setsockopt(zmq.RCVHWM, 0)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.connect(endpoint)
    # Joined once a warm-up message arrives; tell the producer, then drain warm-ups until the run starts.
    while True:
        frames = sub.recv_multipart()
        if frames[-1] == b"warmup" or b'"warmup"' in frames[-1]:
            pipe.send("ready")
            break
    latencies: list[float] = []
    count = 0
    first = last = 0.0
    while count < expected:
        frames = sub.recv_multipart()
        payload = frames[-1]
        if payload == b"warmup" or b'"warmup"' in payload or frames[0] == b"hb":
            continue
        now = time.monotonic_ns()
        if count == 0:
            first = now / 1e9
        count += 1
        last = now / 1e9
        if parse:
            event = Event.model_validate_json(payload)
            latencies.append((now - event.data["t"]) / 1e6)
    pipe.send({"first": first, "last": last, "latencies": latencies})
    sub.close()
    ctx.term()


def start_subscriber(endpoint: str, expected: int, parse: bool) -> tuple[mp.Process, Connection]:
    parent, child = mp.get_context("spawn").Pipe()
    proc = mp.get_context("spawn").Process(target=subscriber, args=(endpoint, expected, parse, child), daemon=True)
    proc.start()
    return proc, parent


# ---- raw baselines --------------------------------------------------------------------------------


def raw_zmq(home: Path, n: int) -> float:
    endpoint = f"ipc://{home}/raw.sock"
    ctx = zmq.Context()
    pub = ctx.socket(zmq.PUB)
    pub.setsockopt(zmq.SNDHWM, 0)
    pub.bind(endpoint)
    proc, pipe = start_subscriber(endpoint, n, parse=False)
    while not pipe.poll(0.01):
        pub.send_multipart([b"ev", b"warmup"])
    pipe.recv()
    message = json.dumps({"seq": 0, "ts": 0.0, "kind": "step.progress", "data": PAYLOAD}).encode()
    start = time.monotonic()
    for _ in range(n):
        pub.send_multipart((b"ev", message))
    result = pipe.recv()
    proc.join()
    pub.close()
    ctx.term()
    return n / (result["last"] - start)


def raw_sqlite(home: Path, n: int, batch: int = 1000) -> float:
    con = sqlite3.connect(home / "raw.db", isolation_level=None)
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=NORMAL")
    con.execute(
        "CREATE TABLE events (seq INTEGER PRIMARY KEY, ts REAL, kind TEXT, run_id INTEGER, project TEXT, data TEXT)"
    )
    data = json.dumps(PAYLOAD)
    start = time.monotonic()
    for base in range(0, n, batch):
        con.execute("BEGIN")
        con.executemany(
            "INSERT INTO events VALUES (?, ?, ?, ?, ?, ?)",
            [(base + i + 1, 0.0, "step.progress", 1, None, data) for i in range(batch)],
        )
        con.execute("COMMIT")
    elapsed = time.monotonic() - start
    con.close()
    return n / elapsed


# ---- contexten's path -----------------------------------------------------------------------------


async def _pipeline(paths: Paths, n: int, rate: float | None) -> dict[str, object]:
    """Emit n events (as fast as possible, or at `rate` per second) and measure at a real subscriber."""
    db = await open_database(paths.database)
    bus = Bus(paths, RefusalLog())
    bus.bind()
    log = EventLog(db, bus.publish_events, SystemClock(), last_seq=0)
    log.start()
    proc, pipe = start_subscriber(paths.events_endpoint, n, parse=True)
    while not pipe.poll(0):
        log.emit(EventKind.HEALTH_PROBE, {"warmup": True, "t": time.monotonic_ns()})
        await asyncio.sleep(0.01)
    pipe.recv()
    start = time.monotonic()
    if rate is None:
        chunk = 500
        for base in range(0, n, chunk):
            for _ in range(min(chunk, n - base)):
                log.emit(EventKind.STEP_PROGRESS, {**PAYLOAD, "t": time.monotonic_ns()}, run=1)
            await asyncio.sleep(0)  # let the writer run, as a busy daemon would
    else:
        per_tick = max(1, int(rate / 1000))  # a burst every millisecond
        for i in range(0, n, per_tick):
            due = start + i / rate
            delay = due - time.monotonic()
            if delay > 0:
                await asyncio.sleep(delay)
            for _ in range(min(per_tick, n - i)):
                log.emit(EventKind.STEP_PROGRESS, {**PAYLOAD, "t": time.monotonic_ns()}, run=1)
    result = await asyncio.to_thread(pipe.recv)
    proc.join()
    await log.close()
    bus.close()
    (stored,) = next(iter(await db.execute_fetchall("SELECT COUNT(*) FROM events WHERE kind = 'step.progress'")))
    await db.close()
    assert stored == n, f"stored {stored} of {n}"
    lat = sorted(result["latencies"])
    return {
        "events_per_s": n / (result["last"] - start),
        "p50_ms": statistics.median(lat),
        "p99_ms": lat[int(len(lat) * 0.99) - 1],
        "max_ms": lat[-1],
    }


def pipeline(n: int, rate: float | None) -> dict[str, object]:
    home = Path(tempfile.mkdtemp(prefix="cxb-", dir="/tmp"))
    try:
        paths = resolve_paths({"CONTEXTEN_HOME": str(home)})
        paths.ensure()
        return asyncio.run(_pipeline(paths, n, rate))
    finally:
        shutil.rmtree(home, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=200_000, help="events for the throughput runs")
    parser.add_argument("--rate", type=float, default=5000.0, help="offered load for the latency run (events/s)")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the latency run")
    args = parser.parse_args()

    home = Path(tempfile.mkdtemp(prefix="cxb-", dir="/tmp"))
    try:
        zmq_rate = raw_zmq(home, args.events)
        sqlite_rate = raw_sqlite(home, args.events)
    finally:
        shutil.rmtree(home, ignore_errors=True)
    burst = pipeline(args.events, None)
    steady = pipeline(int(args.rate * args.seconds), args.rate)

    print(
        f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}, pyzmq {zmq.__version__},"
        f" sqlite {sqlite3.sqlite_version}"
    )
    print(f"raw pyzmq ipc PUB/SUB            {zmq_rate:>12,.0f} events/s")
    print(f"raw SQLite WAL batched insert    {sqlite_rate:>12,.0f} rows/s")
    e2e = float(burst["events_per_s"])  # type: ignore[arg-type]
    print(
        f"contexten end to end             {e2e:>12,.0f} events/s   "
        f"= {e2e / zmq_rate:.2f} x raw zmq, {e2e / sqlite_rate:.2f} x raw sqlite   (target >= 50,000)"
    )
    print(
        f"contexten at {args.rate:,.0f} events/s offered   p50 {steady['p50_ms']:.2f} ms"
        f"   p99 {steady['p99_ms']:.2f} ms   max {steady['max_ms']:.2f} ms   (target p99 < 10 ms)"
    )
    ok = e2e >= 50_000 and float(steady["p99_ms"]) < 10  # type: ignore[arg-type]
    print("targets met" if ok else "targets NOT met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
