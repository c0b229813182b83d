"""CLI start-up: `contexten --version` and `contexten status` (against a real daemon) against `python -c pass`,
measured in the same run, each as a fresh process the way a person runs it.

    python bench/cli_startup.py [--runs 15]

Prints the median and p90 wall time of each and its ratio to the bare interpreter. Goal (issue 13): both
commands under 150 ms on this machine.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def timed(cmd: list[str], env: dict[str, str], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        started = time.perf_counter()
        result = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
        out.append((time.perf_counter() - started) * 1000)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(cmd)} failed: {result.stderr.decode()[-500:]}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="cx-cli-", dir="/tmp"))
    env = {**os.environ, "CONTEXTEN_HOME": str(home)}
    daemon = subprocess.Popen([sys.executable, "-m", "contexten", "daemon"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        while subprocess.run([sys.executable, "-m", "contexten", "status"], env=env, capture_output=True).returncode:
            time.sleep(0.1)  # the daemon's start-up, before anything is measured
        rows = {
            "python -c pass": timed([sys.executable, "-c", "pass"], env, args.runs),
            "contexten --version": timed([sys.executable, "-m", "contexten", "--version"], env, args.runs),
            "contexten status": timed([sys.executable, "-m", "contexten", "status"], env, args.runs),
        }
    finally:
        daemon.terminate()
        daemon.wait(30)
        shutil.rmtree(home, ignore_errors=True)
    floor = statistics.median(rows["python -c pass"])
    print(f"machine: {os.cpu_count()} cores, python {sys.version.split()[0]}, {args.runs} runs each")
    for name, values in rows.items():
        p50, p90 = statistics.median(values), sorted(values)[int(len(values) * 0.9) - 1]
        print(f"{name:<22} p50 {p50:7.1f} ms  p90 {p90:7.1f} ms  ({p50 / floor:4.1f} x python -c pass)")
    print("target: contexten --version and contexten status under 150 ms")


if __name__ == "__main__":
    main()
