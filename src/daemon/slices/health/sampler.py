"""System health sampling and threshold alerts, shared by the periodic sampler and health_check."""

from __future__ import annotations

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
    every sample in between."""

    active: set[str] = field(default_factory=set)

    def update(self, sample: HealthSample, limits: HealthSection) -> list[dict[str, Any]]:
        over = {a["metric"]: a for a in over_thresholds(sample, limits)}
        raised = [{**a, "resolved": False} for m, a in over.items() if m not in self.active]
        resolved = [
            {"metric": m, "resolved": True, "message": f"{m} back under its limit"} for m in self.active - set(over)
        ]
        self.active = set(over)
        return raised + resolved
