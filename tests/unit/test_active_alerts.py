"""The active-alerts reducer shared by the daemon and the console."""

from __future__ import annotations

from contexten.common.alerts import ActiveAlerts, alert_key
from contexten.common.event_kinds import EventKind


def _raise(alerts: ActiveAlerts, seq: int, data: dict[str, object], run: int | None = None) -> bool:
    return alerts.apply(seq, float(seq), EventKind.ALERT, "api", run, data)


def test_a_metric_alert_is_one_per_source_and_project_and_a_run_alert_is_its_runs() -> None:
    assert alert_key({"source": "sampler", "metric": "cpu"}, None, None) == "sampler:cpu"
    assert alert_key({"source": "health_check", "metric": "memory"}, "api", 7) == "health_check:memory:api"
    assert alert_key({"source": "analysis", "message": "watch stopped"}, "api", None) == "analysis:api"
    assert alert_key({"source": "x", "message": "m"}, None, 9) == "x:run 9"
    assert alert_key({"key": "recovery:run 3", "metric": "run"}, "api", 3) == "recovery:run 3"


def test_alerts_stay_until_resolved_or_acknowledged_and_the_most_severe_come_first() -> None:
    alerts = ActiveAlerts()
    assert _raise(alerts, 1, {"key": "recovery:run 3", "severity": "critical", "message": "run 3 needs a person"})
    assert _raise(alerts, 2, {"source": "sampler", "metric": "cpu", "message": "cpu at 97%"})
    assert _raise(alerts, 3, {"source": "sampler", "metric": "cpu", "message": "cpu at 99%"})
    assert [a.key for a in alerts.ordered()] == ["recovery:run 3", "sampler:cpu:api"]
    cpu = alerts.by_key["sampler:cpu:api"]
    assert (cpu.count, cpu.message, cpu.first_ts, cpu.seq) == (2, "cpu at 99%", 2.0, 3)
    assert _raise(alerts, 4, {"source": "sampler", "metric": "cpu", "resolved": True, "message": "back under"})
    assert list(alerts.by_key) == ["recovery:run 3"]
    assert not alerts.apply(5, 5.0, EventKind.ALERT_ACKNOWLEDGED, None, None, {"key": "nothing:such"})
    assert alerts.apply(6, 6.0, EventKind.ALERT_ACKNOWLEDGED, "api", 3, {"key": "recovery:run 3"})
    assert alerts.ordered() == []
    assert not alerts.apply(7, 7.0, EventKind.RUN_STATE, None, 1, {"state": "FAILED"})
