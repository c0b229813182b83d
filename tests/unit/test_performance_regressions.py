"""performance_monitoring's comparison (issue 16): a fall in success rate or a growth of p95 past the
thresholds is a regression, with enough runs on both sides; small or thin changes are not."""

from __future__ import annotations

from contexten.common.protocol.analytics import GroupLine
from contexten.daemon.flows.performance_monitoring import MonitoringParams, regressions


def _g(key: str, finished: int, rate: float, p95: float) -> GroupLine:
    return GroupLine(key=key, runs=finished, finished=finished, completed=round(finished * rate), failed=0, retried=0,
                     success_rate=rate, p95_seconds=p95)  # fmt: skip


def test_regressions_need_a_real_change_and_enough_runs() -> None:
    params = MonitoringParams()
    before = [_g("a", 50, 0.98, 10.0), _g("b", 50, 0.98, 10.0), _g("c", 5, 1.0, 1.0), _g("d", 50, 0.9, 2.0)]
    now = [_g("a", 50, 0.80, 10.5), _g("b", 50, 0.97, 16.0), _g("c", 5, 0.0, 9.0), _g("d", 50, 0.95, 2.1),
           _g("new", 50, 0.1, 99.0)]  # fmt: skip
    found = {(r["flow"], r["what"]) for r in regressions(now, before, params)}
    assert found == {("a", "success rate"), ("b", "p95 duration")}  # c: too few runs; d: better; new: no history
