"""The fake link's CI: a project's pipeline built from recorded GitHub answers (the two-page jobs answer of
a real Actions run, one of its jobs made to fail) and a real job log, with a test trend; a test may move a
run (as the poller would see it) and the next GetPipeline answers with that."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contexten.common.models import CiJob, CiRun, CiStep
from contexten.common.protocol import Request
from contexten.common.protocol.analytics import AnalyticsView, DayLine, GetAnalytics, GroupLine, StepLine
from contexten.common.protocol.ci import GetPipeline, Pipeline, TestRunLine
from contexten.daemon.slices.ci.classify import clean

FIXTURES = Path(__file__).parents[1] / "fixtures" / "github"
T0 = 1_700_000_000.0


def _jobs() -> list[CiJob]:
    recorded = json.loads((FIXTURES / "actions-list-jobs-for-run-attempt.json").read_text())
    out = []
    for n, page in enumerate(recorded):
        j = page["response"]["jobs"][0]
        failing = n == 1
        steps = [CiStep(number=s["number"], name=s["name"], status=s["status"],
                        conclusion="failure" if failing and i == len(j["steps"]) - 2 else s["conclusion"],
                        started_at=T0 + i, completed_at=T0 + i + 1) for i, s in enumerate(j["steps"])]  # fmt: skip
        out.append(CiJob(id=j["id"], name=j["name"], status="completed",
                         conclusion="failure" if failing else j["conclusion"], started_at=T0, completed_at=T0 + 9,
                         steps=steps))  # fmt: skip
    return out


def sample_runs() -> list[CiRun]:
    return [
        CiRun(id=50, name="CI", head_branch="main", head_sha="d" * 40, conclusion="failure", updated_at=T0),
        CiRun(id=49, name="CI", head_branch="main", head_sha="c" * 40, conclusion="success", updated_at=T0 - 600),
    ]


class FakeCi:
    def __init__(self) -> None:
        self.runs = sample_runs()
        self.jobs = {50: _jobs(), 49: [j.model_copy(update={"conclusion": "success"}) for j in _jobs()[:1]]}
        self.log = clean((FIXTURES / "logs" / "job-log.backend-tests.failure.txt").read_text())
        self.tests = [TestRunLine(run=i, framework="pytest", sha="d" * 40, at=T0 - 100 * i, total=40,
                                  failed=f, skipped=0, seconds=s)
                      for i, (f, s) in enumerate([(0, 31.0), (2, 33.5), (0, 30.2), (1, 35.0)], 1)]  # fmt: skip
        self.calls: list[tuple[str, Any]] = []

    def answer(self, request: Request[Any]) -> Any:
        match request:
            case GetPipeline(project=project, run=run, log_lines=lines):
                self.calls.append(("pipeline", (project, run)))
                chosen = next((r for r in self.runs if r.id == run), None) if run else self.runs[0]
                jobs = self.jobs.get(chosen.id, []) if chosen else []
                failing = next((j for j in jobs if j.conclusion == "failure"), None)
                step = next((s.name for s in failing.steps if s.conclusion == "failure"), None) if failing else None
                return Pipeline(project=project, runs=self.runs, run=chosen, jobs=jobs, tests=self.tests,
                                failing_job=failing.name if failing else None, failing_step=step,
                                log=self.log[-lines:] if failing else [])  # fmt: skip
            case GetAnalytics(project=project, window_seconds=window):
                self.calls.append(("analytics", (project, window)))
                return sample_analytics(project, window)
        return NotImplemented


def sample_analytics(project: str | None, window: float) -> AnalyticsView:
    days = [DayLine(day=T0 - 86_400 * (6 - i), runs=20 + 3 * i, failed=i % 3, p95_seconds=4.0 + i) for i in range(7)]
    flows = [GroupLine(key="health_check", runs=120, finished=118, completed=117, failed=1, retried=2,
                       success_rate=117 / 118, p50_seconds=0.4, p95_seconds=1.2, queue_p50_seconds=0.01,
                       queue_p95_seconds=0.2),
             GroupLine(key="security_audit", runs=14, finished=14, completed=11, failed=3, retried=0,
                       success_rate=11 / 14, p50_seconds=2.6, p95_seconds=9.8, queue_p50_seconds=0.1,
                       queue_p95_seconds=3.0)]  # fmt: skip
    previous = [flows[0].model_copy(update={"success_rate": 0.95}), flows[1].model_copy(update={"success_rate": 1.0})]
    steps = [StepLine(flow="security_audit", step="scan", runs=14, mean_seconds=1.9, max_seconds=4.2, retried=0)]
    return AnalyticsView(since=T0 - window, until=T0, project=project, flows=flows, projects=[], steps=steps,
                         days=days, failures={"timeout": 2}, breaker_open_seconds={"github": 42.0},
                         previous=previous)  # fmt: skip
