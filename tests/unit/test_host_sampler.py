"""CPU samples compare with the previous sample: the first after priming reads the work done in between
(psutil keeps its last reading per thread, so sampling on a fresh thread each time read 0.0)."""

from __future__ import annotations

import time
from pathlib import Path

from contexten.daemon.slices.health.sampler import HostSampler


def _burn(seconds: float) -> None:
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:
        sum(i * i for i in range(1000))


async def test_the_first_sample_after_priming_measures_the_cpu_used_since(tmp_path: Path) -> None:
    sampler = HostSampler(tmp_path)
    try:
        await sampler.sample(0.0)  # primes
        _burn(0.3)  # this process keeps a core busy: the host's CPU cannot read 0.0 over this time
        sample = await sampler.sample(1.0)
        assert sample.cpu > 0.0
    finally:
        sampler.close()
