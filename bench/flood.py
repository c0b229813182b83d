"""Flood benchmark: a real daemon under a 20-client request flood, against the same daemon idle, one run.

    python bench/flood.py [--clients 20] [--seconds 5]

Prints `status` latency p50/p99 idle and during the flood, the time from the flood's end until `status`
answers within 100 ms again, and peak RSS against idle RSS. The flooders send heavy reads (events.since
limit=10000, snapshot, run.list), garbage and pins as fast as they can and never read their replies.
Goals (issue 12): answers within 100 ms during the flood, recovered within 1 s, peak RSS under 2x idle.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import zmq

PROBE = os.environ.get("FLOOD_PROBE", "status")
HEAVY = [
    {"cmd": "events.since", "since": 0, "limit": 10000},
    {"cmd": "snapshot"},
    {"cmd": "run.list", "limit": 1000},
    {"cmd": "project.pin", "target": "/nonexistent/for/the/bench"},
]


def flooder(endpoint: str, seconds: float, seed: int) -> None:
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.SNDHWM, 0)
    sock.connect(endpoint)
    end, n = time.monotonic() + seconds, 0
    while time.monotonic() < end:
        doc = HEAVY[(n + seed) % len(HEAVY)]
        sock.send(json.dumps({"v": 1, "rid": f"f{n}", **doc}).encode() if n % 5 else b"garbage")
        n += 1
    sock.close()
    ctx.term()


def minimal_router(endpoint: str) -> None:
    """The floor: an asyncio ZeroMQ ROUTER that answers every frame with a canned reply, no work at all."""
    import asyncio

    import zmq.asyncio

    async def serve() -> None:
        ctx = zmq.asyncio.Context()
        sock = ctx.socket(zmq.ROUTER)
        sock.setsockopt(zmq.SNDHWM, 64)
        sock.bind(endpoint)
        while True:
            await asyncio.sleep(0)
            identity, _payload = await sock.recv_multipart()
            await sock.send_multipart([identity, b'{"v":1,"rid":"","ok":true}'])

    asyncio.run(serve())


def status_latency(sock: zmq.Socket[bytes], n: int) -> float:
    started = time.perf_counter()
    sock.send(json.dumps({"v": 1, "rid": f"s{n}", "cmd": PROBE}).encode())
    sock.recv()
    return (time.perf_counter() - started) * 1000


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(len(values) * q))]


def measure(
    endpoint: str, pid: int, clients: int, seconds: float, probe_endpoint: str | None = None
) -> dict[str, float]:
    """The flood goes to `endpoint`; the probe to `probe_endpoint` (where a client sends `status`: the daemon's
    control lane), or to the same socket when the server has only one (the floor)."""
    ctx = zmq.Context()
    probe = ctx.socket(zmq.DEALER)
    probe.setsockopt(zmq.LINGER, 0)
    probe.setsockopt(zmq.RCVTIMEO, 60_000)
    probe.connect(probe_endpoint or endpoint)
    try:
        proc = psutil.Process(pid)
        idle = [status_latency(probe, i) for i in range(300)]
        idle_rss = proc.memory_info().rss
        peak = [idle_rss]
        stop = threading.Event()

        def sample() -> None:
            while not stop.is_set():
                peak.append(proc.memory_info().rss)
                time.sleep(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        flooders = [mp.Process(target=flooder, args=(endpoint, seconds, i)) for i in range(clients)]
        for f in flooders:
            f.start()
        during: list[float] = []
        while any(f.is_alive() for f in flooders):
            during.append(status_latency(probe, len(during)))
        ended = time.monotonic()
        calm = 0
        while calm < 5:
            calm = calm + 1 if status_latency(probe, 0) < 100 else 0
        recovered = time.monotonic() - ended
        time.sleep(2)
        after_rss = proc.memory_info().rss
        stop.set()
        sampler.join()
    finally:
        probe.close()
        ctx.term()
    return {"idle_p50": statistics.median(idle), "idle_p99": pct(idle, 0.99), "p50": statistics.median(during),
            "p99": pct(during, 0.99), "probes": len(during), "recovered": recovered, "idle_rss": idle_rss,
            "peak_rss": max(peak), "after_rss": after_rss}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=5.0)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="cx-flood-", dir="/tmp"))
    (home / "config.toml").write_text("[daemon]\nheartbeat_seconds = 1\n")
    env = {**os.environ, "CONTEXTEN_HOME": str(home)}
    try:
        floor = mp.Process(target=minimal_router, args=(f"ipc://{home}/minimal.sock",), daemon=True)
        floor.start()
        assert floor.pid is not None
        raw = measure(f"ipc://{home}/minimal.sock", floor.pid, args.clients, args.seconds)
        floor.terminate()
        daemon = subprocess.Popen([sys.executable, "-m", "contexten", "daemon"], env=env,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
        while not (home / "run/lane.sock").exists():
            time.sleep(0.05)
        ours = measure(
            f"ipc://{home}/run/control.sock",
            daemon.pid,
            args.clients,
            args.seconds,
            probe_endpoint=f"ipc://{home}/run/lane.sock",
        )
        started = time.monotonic()
        daemon.send_signal(signal.SIGTERM)
        daemon.wait(60)
        stopped = time.monotonic() - started
    finally:
        shutil.rmtree(home, ignore_errors=True)
    mb = 1024 * 1024
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}, pyzmq {zmq.__version__}")
    for name, m in (("minimal ROUTER", raw), ("contexten", ours)):
        print(f"{name:<15} idle p50 {m['idle_p50']:6.2f} ms  p99 {m['idle_p99']:6.2f} ms | "
              f"{args.clients}-client flood p50 {m['p50']:7.2f} ms  p99 {m['p99']:7.2f} ms ({m['probes']:.0f} probes)"
              f" | recovered {m['recovered']:.2f} s | peak RSS {m['peak_rss'] / m['idle_rss']:.2f} x idle")  # fmt: skip
    ratio = f"p50 {ours['p50'] / raw['p50']:.2f} x, p99 {ours['p99'] / raw['p99']:.2f} x"
    print(f"contexten {PROBE} during the flood: {ratio} the minimal ROUTER's"
          " (targets: < 100 ms, recovered < 1 s, peak RSS < 2 x idle)")  # fmt: skip
    print(
        f"contexten RSS idle {ours['idle_rss'] / mb:.1f} MB, peak {ours['peak_rss'] / mb:.1f} MB, "
        f"2 s after {ours['after_rss'] / mb:.1f} MB; SIGTERM after the flood: stopped in {stopped:.2f} s"
    )


if __name__ == "__main__":
    main()
