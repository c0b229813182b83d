"""Forecasts and anomalies (issue 16), backtested: a planted trend is forecast to its threshold within a
tenth, a planted spike is found at its place, and flat or noisy series (seeded) raise nothing."""

from __future__ import annotations

import random

from contexten.daemon.slices.analytics.forecast import anomalies, time_to, trend

HOUR = 3600.0


def test_a_planted_trend_reaches_its_threshold_when_the_line_says() -> None:
    rng = random.Random(3)
    xs = [i * HOUR for i in range(168)]  # a week of hourly means
    ys = [40 + 0.1 * i + rng.gauss(0, 0.3) for i in range(168)]  # +0.1 point an hour: full (95) at hour 550
    found = time_to(95.0, xs, ys, xs[-1])
    assert found is not None and found.confidence == "high"
    assert abs(found.seconds / HOUR - (550 - 167)) < 0.1 * (550 - 167)


def test_flat_falling_or_noisy_series_forecast_nothing() -> None:
    rng = random.Random(4)
    xs = [i * HOUR for i in range(168)]
    assert time_to(95.0, xs, [60 + rng.gauss(0, 0.2) for _ in xs], xs[-1]) is None  # flat
    assert time_to(95.0, xs, [80 - 0.05 * i for i in range(168)], xs[-1]) is None  # falling
    assert time_to(95.0, xs, [60 + rng.gauss(0, 10) for _ in xs], xs[-1]) is None  # noise: R² too low
    t = trend(xs, [2 * x + 1 for x in xs])
    assert t is not None and round(t.slope, 9) == 2 and round(t.r2, 9) == 1


def test_a_spike_is_an_anomaly_and_noise_is_not() -> None:
    rng = random.Random(5)
    noisy = [50 + rng.gauss(0, 2) for _ in range(200)]
    assert anomalies(noisy) == []
    spiked = list(noisy)
    spiked[150] += 40
    assert anomalies(spiked) == [150]
    stepped = noisy[:100] + [
        v + 30 for v in noisy[100:]
    ]  # a level shift: its first points stand out, then it is learnt
    found = anomalies(stepped)
    assert found == [100, 101, 102, 103, 104]  # the shift stands out until it is the new level
    assert anomalies([7.0] * 50) == []  # perfectly flat: no band of zero width
