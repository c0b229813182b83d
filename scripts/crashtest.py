"""Crash test: SIGKILL the daemon at random moments while runs with side effects are in flight.

    python scripts/crashtest.py [--runs 40] [--kills 25] [--seed 1]

Starts a real daemon in a temporary home, keeps it busy with `synthetic` runs (each with a final side
effect and a trace of every step execution), kills it with SIGKILL many times and restarts it, then waits
for every run to finish and checks, printing each figure:
  runs completed; steps re-executed after their checkpoint (must be 0); duplicate side effects (must be 0);
  gaps in event seq (must be 0); PRAGMA integrity_check (must be ok).
Exits 1 if any check fails.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from pathlib import Path

from contexten.client.connection import DaemonClient
from contexten.common.errors import ContextenError
from contexten.common.paths import Paths, resolve_paths
from contexten.common.protocol import Ping, StartRun, Status

CONFIG = """
[daemon]
max_concurrent_workflows = 8
heartbeat_seconds = 0.5
shutdown_timeout_seconds = 2
[health]
sample_interval_seconds = 1
"""


TERMINAL = {"COMPLETED", "FAILED", "CANCELLED", "CRASHED"}


class Daemon:
    def __init__(self, home: Path) -> None:
        self.home = home
        self.paths: Paths = resolve_paths({"CONTEXTEN_HOME": str(home)})
        self.proc: subprocess.Popen[bytes] | None = None
        self.env = {**os.environ, "CONTEXTEN_HOME": str(home)}

    def spawn(self) -> None:
        with open(self.home / "daemon.log", "ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "contexten", "daemon"], env=self.env, stdout=log, stderr=log
            )

    async def start(self) -> None:
        self.spawn()
        client = DaemonClient(self.paths, timeout=1.0)
        deadline = time.monotonic() + 30
        try:
            while True:
                if self.proc.poll() is not None:
                    raise SystemExit(f"daemon exited with {self.proc.returncode}; see {self.home / 'daemon.log'}")
                try:
                    await client.call(Ping())
                    return
                except ContextenError:
                    if time.monotonic() > deadline:
                        raise SystemExit("daemon did not come up within 30 s") from None
                    await asyncio.sleep(0.05)
        finally:
            await client.aclose()

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(timeout=60)


async def launch(daemon: Daemon, rng: random.Random, n: int, effects: Path, trace: Path) -> int:
    client = DaemonClient(daemon.paths, timeout=2.0)
    started = 0
    try:
        for _ in range(n):
            params = {
                "steps": rng.randint(3, 8), "step_ms": rng.randint(50, 400),
                "effect_file": str(effects), "trace_file": str(trace),
            }  # fmt: skip
            try:
                await client.call(StartRun(flow="synthetic", params=params))
                started += 1
            except ContextenError:
                break  # the daemon is being killed under us; that is the point
    finally:
        await client.aclose()
    return started


async def wait_all_finished(daemon: Daemon, timeout: float) -> dict[str, int]:
    client = DaemonClient(daemon.paths, timeout=5.0)
    deadline = time.monotonic() + timeout
    try:
        while True:
            status = await client.call(Status())
            unfinished = {k: v for k, v in status.runs_by_state.items() if k not in TERMINAL}
            if not unfinished:
                return status.runs_by_state
            if time.monotonic() > deadline:
                raise SystemExit(f"runs still unfinished after {timeout:.0f} s: {unfinished}")
            await asyncio.sleep(0.2)
    finally:
        await client.aclose()


def analyse(db_path: Path, effects: Path, trace: Path) -> dict[str, object]:
    con = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    integrity = [r[0] for r in con.execute("PRAGMA integrity_check")]
    seqs = [r[0] for r in con.execute("SELECT seq FROM events ORDER BY seq")]
    gaps = sum(1 for a, b in itertools.pairwise(seqs) if b != a + 1) + (1 if seqs and seqs[0] != 1 else 0)
    names = {(r[0], r[1]): r[2] for r in con.execute("SELECT run_id, idx, name FROM steps")}
    checkpoints: dict[tuple[int, str], float] = {}
    for run_id, ts, data in con.execute("SELECT run_id, ts, data FROM events WHERE kind = 'step.state'"):
        doc = json.loads(data)
        if doc.get("state") == "COMPLETED":
            checkpoints[(run_id, names[(run_id, doc["index"])])] = ts
    runs = dict(con.execute("SELECT state, COUNT(*) FROM runs GROUP BY state").fetchall())
    reconciled = sum(
        1
        for (data,) in con.execute("SELECT data FROM events WHERE kind = 'effect.done'")
        if json.loads(data)["reconciled"]
    )
    completed_runs = {r[0] for r in con.execute("SELECT id FROM runs WHERE state = 'COMPLETED'")}
    con.close()

    executions: dict[tuple[int, str], list[float]] = defaultdict(list)
    for line in trace.read_text().splitlines() if trace.exists() else []:
        doc = json.loads(line)
        executions[(doc["run"], doc["step"])].append(doc["t"])
    reexecuted = sum(
        1 for key, times in executions.items() if key in checkpoints for t in times if t > checkpoints[key]
    )
    restarts = sum(len(times) - 1 for times in executions.values())

    lines = effects.read_text().splitlines() if effects.exists() else []
    keys = Counter(json.loads(line)["key"] for line in lines)
    duplicates = sum(n - 1 for n in keys.values() if n > 1)
    effect_runs = {int(k.split("/")[0].removeprefix("run-")) for k in keys}
    missing_effects = len(completed_runs - effect_runs)
    return {
        "runs": runs, "events": len(seqs), "seq_gaps": gaps, "integrity": "; ".join(integrity),
        "reexecuted_after_checkpoint": reexecuted, "reexecuted_before_checkpoint": restarts - reexecuted,
        "side_effects": sum(keys.values()), "duplicate_side_effects": duplicates, "reconciled": reconciled,
        "completed_runs_missing_their_effect": missing_effects,
    }  # fmt: skip


async def main_async(args: argparse.Namespace) -> int:
    rng = random.Random(args.seed)
    home = Path(tempfile.mkdtemp(prefix="cxc-", dir="/tmp"))
    (home / "config.toml").write_text(CONFIG)
    effects, trace = home / "effects.jsonl", home / "trace.jsonl"
    daemon = Daemon(home)
    started = time.monotonic()
    try:
        await daemon.start()
        launched = await launch(daemon, rng, args.runs, effects, trace)
        for _ in range(args.kills):
            await asyncio.sleep(rng.uniform(0.05, 1.2))
            daemon.kill()
            await daemon.start()
            launched += await launch(daemon, rng, rng.randint(0, 3), effects, trace)
        finished = await wait_all_finished(daemon, timeout=300)
        daemon.stop()
        report = analyse(daemon.paths.database, effects, trace)
    finally:
        daemon.stop()
    elapsed = time.monotonic() - started
    print(f"crashtest: {args.kills} SIGKILLs, {launched} runs launched, seed {args.seed}, {elapsed:.0f} s")
    print(f"  runs by state                          {finished}")
    print(f"  events stored                          {report['events']}")
    print(f"  steps re-executed after checkpoint     {report['reexecuted_after_checkpoint']}   (must be 0)")
    print(f"  steps re-run that were cut off         {report['reexecuted_before_checkpoint']}   (work lost to kills)")
    print(f"  side effects                           {report['side_effects']}")
    print(f"  duplicate side effects                 {report['duplicate_side_effects']}   (must be 0)")
    print(f"  effects found pending and reconciled   {report['reconciled']}   (crashes inside the effect window)")
    print(f"  completed runs missing their effect    {report['completed_runs_missing_their_effect']}   (must be 0)")
    print(f"  gaps in event seq                      {report['seq_gaps']}   (must be 0)")
    print(f"  PRAGMA integrity_check                 {report['integrity']}")
    ok = (
        report["reexecuted_after_checkpoint"] == 0 and report["duplicate_side_effects"] == 0
        and report["seq_gaps"] == 0 and report["integrity"] == "ok"
        and report["completed_runs_missing_their_effect"] == 0 and set(finished) == {"COMPLETED"}
    )  # fmt: skip
    print("  result                                 " + ("PASS" if ok else "FAIL"))
    if ok and not args.keep:
        shutil.rmtree(home, ignore_errors=True)
    else:
        print(f"  home kept at {home}")
    return 0 if ok else 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--kills", type=int, default=25)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the temporary home")
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
