"""Forecasts and anomalies from stored series, each saying how sure it is and what it used.

- `trend`: a least-squares line through the series, with R² (how much of the movement the line explains)
  and the residuals' spread; `time_to` extrapolates it to a threshold (disk full) only when it is rising
  and the line explains the data (R² ≥ 0.5), and calls the forecast high, medium or low confidence by R²
  and the number of points.
- `anomalies`: an exponentially weighted mean (EWMA) with a band of `k` robust standard deviations
  (1.4826 times the median absolute deviation of the recent residuals), which a single spike cannot widen as
  it would a plain standard deviation; a point outside the band is an anomaly. Flat or noisy series inside
  their own band raise nothing.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass

MAD_TO_SD = 1.4826  # the MAD of a normal distribution times this is its standard deviation


@dataclass(frozen=True)
class Trend:
    slope: float  # per second
    intercept: float
    r2: float
    spread: float  # residuals' standard deviation
    points: int


@dataclass(frozen=True)
class Forecast:
    seconds: float  # until the threshold is reached, from `now`
    confidence: str  # high, medium, low
    trend: Trend


def trend(xs: list[float], ys: list[float]) -> Trend | None:
    n = len(xs)
    if n < 3 or len(set(xs)) < 2:
        return None
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    slope = sxy / sxx
    intercept = my - slope * mx
    residuals = [y - (intercept + slope * x) for x, y in zip(xs, ys, strict=True)]
    ss_res = sum(r * r for r in residuals)
    ss_tot = sum((y - my) ** 2 for y in ys)
    r2 = 1 - ss_res / ss_tot if ss_tot > 0 else 0.0
    return Trend(slope, intercept, r2, math.sqrt(ss_res / (n - 2)), n)


def time_to(threshold: float, xs: list[float], ys: list[float], now: float) -> Forecast | None:
    """When the rising trend reaches `threshold` (None when it is not rising, does not explain the data,
    or is there already)."""
    t = trend(xs, ys)
    if t is None or t.slope <= 0 or t.r2 < 0.5:
        return None
    at = (threshold - t.intercept) / t.slope
    if at <= now:
        return None
    confidence = "high" if t.r2 >= 0.9 and t.points >= 24 else "medium" if t.r2 >= 0.75 else "low"
    return Forecast(at - now, confidence, t)


def anomalies(values: list[float], alpha: float = 0.3, k: float = 5.0, warmup: int = 12, window: int = 48,
              patience: int = 5, floor: float = 1e-9) -> list[int]:  # fmt: skip
    """The indexes of the points outside the EWMA's robust band (after `warmup` points to learn from). An
    outlier is not learnt from (it must not move the mean or widen the band); `patience` outliers in a row
    are a new level, which the mean then starts from."""
    out: list[int] = []
    if len(values) <= warmup:
        return out
    mean = statistics.fmean(values[:warmup])
    residuals = [v - mean for v in values[:warmup]]
    streak: list[float] = []
    for i in range(warmup, len(values)):
        v = values[i]
        recent = residuals[-window:]
        center = statistics.median(recent)
        mad = statistics.median(abs(r - center) for r in recent)
        band = k * max(MAD_TO_SD * mad, floor, abs(mean) * 0.01)
        if abs(v - mean - center) > band:
            out.append(i)
            streak.append(v)
            if len(streak) >= patience:
                mean = statistics.fmean(streak)  # the series moved: learn the new level
                residuals += [x - mean for x in streak]
                streak = []
            continue
        streak = []
        residuals.append(v - mean)
        mean = alpha * v + (1 - alpha) * mean
    return out
