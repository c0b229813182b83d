"""A real `contexten daemon` in a temporary home, for the benches: started, waited for, stopped, removed."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass
class RealDaemon:
    home: Path
    env: dict[str, str]
    proc: subprocess.Popen[bytes]


@contextlib.contextmanager
def real_daemon(config: str = "", prefix: str = "cxb-") -> Iterator[RealDaemon]:
    home = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    env = {**os.environ, "CONTEXTEN_HOME": str(home)}
    if config:
        (home / "config.toml").write_text(config)
    proc = subprocess.Popen([sys.executable, "-m", "contexten", "daemon"], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)  # fmt: skip
    try:
        while subprocess.run([sys.executable, "-m", "contexten", "status"], env=env, capture_output=True).returncode:
            if proc.poll() is not None:
                raise SystemExit("the daemon did not start")
            time.sleep(0.1)  # the daemon's start-up, before anything is measured
        yield RealDaemon(home, env, proc)
    finally:
        proc.terminate()
        proc.wait(60)
        shutil.rmtree(home, ignore_errors=True)
