"""`predictive_maintenance`: what is about to go wrong, from the stored series, each finding saying how
sure it is and what data it used.

- the disk fills: the trend of its hourly use reaches `disk_full_percent` within `horizon_days`;
- a flow's failure rate rises: a rising trend over at least `min_days` days of its daily rate, now above
  `min_failure_rate`;
- the host behaves unusually: the last day's hourly CPU or memory outside the EWMA's robust band.

Each finding is raised as an alert (keyed by what it is about: raised again while it holds, it counts on
its inbox row) unless `alert` is off. Flat or noisy series raise nothing (forecast.py's backtests)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from contexten.common.event_kinds import EventKind
from contexten.daemon.slices.analytics.forecast import anomalies, time_to, trend
from contexten.daemon.slices.analytics.queries import DAY
from contexten.daemon.slices.analytics.slice import RunAnalytics
from contexten.daemon.slices.runs.flow import FlowSpec, StepContext, StepSpec


class PredictParams(BaseModel):
    model_config = ConfigDict(extra="forbid")
    window_days: float = Field(default=7, gt=0, le=366, description="How far back the series are read.")
    horizon_days: float = Field(default=14, gt=0, le=366, description="Forecasts further out are not news.")
    disk_full_percent: float = Field(default=95, gt=0, le=100)
    min_days: int = Field(default=5, ge=3, le=366, description="Days of a flow's rate a trend needs.")
    min_failure_rate: float = Field(default=0.1, ge=0, le=1)
    alert: bool = Field(default=True)


def findings(host: list[tuple[float, float, float, float]], rates: dict[str, list[tuple[float, float, int]]],
             now: float, p: PredictParams) -> list[dict[str, Any]]:  # fmt: skip
    out: list[dict[str, Any]] = []
    if host:
        hours = [h for h, *_ in host]
        full = time_to(p.disk_full_percent, hours, [d for _, d, _, _ in host], now)
        if full is not None and full.seconds <= p.horizon_days * DAY:
            left = full.seconds / DAY
            out.append({"key": "disk", "severity": "critical" if left < 2 else "warning",
                        "message": f"the disk reaches {p.disk_full_percent:g}% in {left:.1f} days "
                                   f"({full.confidence} confidence, R²={full.trend.r2:.2f})",
                        "data": f"{len(host)} hourly means of disk use since {len(host) / 24:.1f} days"})  # fmt: skip
        for index, name in ((2, "cpu"), (3, "memory")):
            series = [row[index] for row in host]
            recent = [i for i in anomalies(series) if host[i][0] >= now - DAY]
            if recent:
                out.append({"key": f"host-{name}", "severity": "warning",
                            "message": f"{name} unusual in {len(recent)} of the last day's hours "
                                       f"(latest {series[recent[-1]]:.0f}%)",
                            "data": f"{len(series)} hourly means, EWMA with a 5×MAD band"})  # fmt: skip
    for flow, days in rates.items():
        if len(days) < p.min_days:
            continue
        t = trend([d for d, _, _ in days], [r for _, r, _ in days])
        if t is not None and t.slope > 0 and t.r2 >= 0.5 and days[-1][1] >= p.min_failure_rate:
            out.append({"key": f"failures-{flow}", "severity": "warning",
                        "message": f"{flow}'s failure rate is rising: {days[0][1]:.0%} → {days[-1][1]:.0%} "
                                   f"over {len(days)} days (R²={t.r2:.2f})",
                        "data": f"{sum(n for *_, n in days)} finished runs in {len(days)} daily rates"})  # fmt: skip
    return out


async def predict(ctx: StepContext) -> dict[str, Any]:
    p: PredictParams = ctx.params
    series = ctx.use(RunAnalytics)
    host, rates, now = await series.series(p.window_days * DAY)
    found = findings(host, rates, now, p)
    for f in found if p.alert else []:
        ctx.emit(EventKind.ALERT, {"severity": f["severity"], "source": "predictive", "key": f"predictive:{f['key']}",
                                   "message": f"{f['message']} — from {f['data']}"})  # fmt: skip
    ctx.progress(1.0, f"{len(host)} hours, {len(rates)} flows read; {len(found)} findings")
    return {"hours": len(host), "flows": len(rates), "findings": found}


FLOW = FlowSpec(
    needs=(RunAnalytics,),
    name="predictive_maintenance",
    description="Forecasts from the stored series: disk full, rising failure rates, unusual host load.",
    params=PredictParams,
    plan=lambda _params: [StepSpec("predict", predict)],
    category="operations",
)
