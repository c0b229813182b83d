"""System health sampling and threshold alerts, shared by the periodic sampler and health_check."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil

from contexten.common.models import HealthSample
from contexten.daemon.platform.config import HealthSection


def sample_system(ts: float, disk_path: Path, cpu_interval: float | None = None) -> HealthSample:
    """CPU is measured since the previous call (interval None) or over `cpu_interval` seconds (blocking)."""
    return HealthSample(
        ts=ts,
        cpu=psutil.cpu_percent(interval=cpu_interval),
        memory=psutil.virtual_memory().percent,
        disk=psutil.disk_usage(str(disk_path)).percent,
    )


class HostSampler:
    """Samples taken on one thread of their own. psutil keeps the previous CPU reading per thread, so a
    sample taken on whichever pool thread is free compares against nothing on that thread and reads 0.0:
    the console's first CPU figure after start was 0.0, and so was every sample on a fresh thread."""

    def __init__(self, disk_path: Path) -> None:
        self._disk_path = disk_path
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="health-sampler")

    async def sample(self, ts: float) -> HealthSample:
        return await asyncio.get_running_loop().run_in_executor(self._thread, sample_system, ts, self._disk_path)

    def close(self) -> None:
        self._thread.shutdown(wait=False, cancel_futures=True)


def over_thresholds(sample: HealthSample, limits: HealthSection) -> list[dict[str, Any]]:
    checks = (
        ("cpu", sample.cpu, limits.cpu_alert_percent),
        ("memory", sample.memory, limits.memory_alert_percent),
        ("disk", sample.disk, limits.disk_alert_percent),
    )
    return [
        {
            "metric": name,
            "value": value,
            "threshold": limit,
            "message": f"{name} at {value:.0f}% (limit {limit:.0f}%)",
        }
        for name, value, limit in checks
        if value > limit  # over the limit, so a limit of 100 never alerts
    ]


@dataclass
class AlertTracker:
    """Raise an alert when a metric crosses its threshold and a resolution when it drops back, not on
    every sample in between. It drops back only under the limit less `clear_margin_percent` (hysteresis):
    a metric hovering around its limit on a busy host raises one alert, not one per crossing."""

    active: set[str] = field(default_factory=set)

    def update(self, sample: HealthSample, limits: HealthSection) -> list[dict[str, Any]]:
        over = {a["metric"]: a for a in over_thresholds(sample, limits)}
        raised = [{**a, "resolved": False} for m, a in over.items() if m not in self.active]
        values = {"cpu": (sample.cpu, limits.cpu_alert_percent), "memory": (sample.memory, limits.memory_alert_percent),
                  "disk": (sample.disk, limits.disk_alert_percent)}  # fmt: skip
        held = {m for m in self.active - set(over) if values[m][0] > values[m][1] - limits.clear_margin_percent}
        resolved = [{"metric": m, "resolved": True, "message": f"{m} back under its limit"}
                    for m in self.active - set(over) - held]  # fmt: skip
        self.active = set(over) | held
        return raised + resolved
