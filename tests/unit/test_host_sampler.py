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


def test_an_alert_clears_only_under_its_limit_less_the_margin() -> None:
    from contexten.common.models import HealthSample
    from contexten.daemon.platform.config import HealthSection
    from contexten.daemon.slices.health.sampler import AlertTracker

    limits = HealthSection(cpu_alert_percent=90, memory_alert_percent=100, disk_alert_percent=100)
    tracker = AlertTracker()

    def cpu(value: float) -> list[tuple[str, bool]]:
        return [(a["metric"], a["resolved"]) for a in tracker.update(HealthSample(ts=0, cpu=value, memory=1, disk=1),
                                                                       limits)]  # fmt: skip

    assert cpu(91) == [("cpu", False)]
    assert [cpu(v) for v in (89, 92, 86, 91)] == [[], [], [], []]  # hovering at the limit: one alert, no flapping
    assert cpu(84.9) == [("cpu", True)]  # under 90 - 5
    assert cpu(91) == [("cpu", False)]  # a new crossing is news again
    none = HealthSection(cpu_alert_percent=90, memory_alert_percent=100, disk_alert_percent=100, clear_margin_percent=0)
    flat = AlertTracker()
    assert flat.update(HealthSample(ts=0, cpu=91, memory=1, disk=1), none) and flat.update(
        HealthSample(ts=0, cpu=89, memory=1, disk=1), none) == [{"metric": "cpu", "resolved": True,
                                                                  "message": "cpu back under its limit"}]  # fmt: skip
