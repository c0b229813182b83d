"""The CI slice: what a project's failed CI runs were (classified from their logs, `classify.py`), each
distinct failure once (`ledger.py`, its table and its `ci.failure` events), the history of its test runs
(`test_history.py`, test_optimization's), and the requests that list them. The flows do the fetching,
running and filing; this slice owns what they record."""

from __future__ import annotations

from dataclasses import asdict

from contexten.common.protocol.ci import (
    CiFailure,
    GetPipeline,
    ListCiFailures,
    ListTestRuns,
    ListTestStats,
    Pipeline,
    TestLine,
    TestRunLine,
)
from contexten.daemon.platform.failures import Failure
from contexten.daemon.platform.lifecycle import Slice, handles
from contexten.daemon.slices.ci.classify import clean
from contexten.daemon.slices.ci.ledger import FailureLedger
from contexten.daemon.slices.ci.test_history import TestHistory
from contexten.daemon.slices.connectors.hub import Connectors

FAILED = ("failure", "timed_out", "startup_failure")
LOG_BYTES = 200_000  # the end of a job's log read for the view


class CiSlice(Slice):
    name = "ci"

    def __init__(self, ledger: FailureLedger, history: TestHistory, connectors: Connectors) -> None:
        super().__init__()
        self.ledger = ledger
        self.history = history
        self._connectors = connectors

    @handles(ListCiFailures)
    async def list_failures(self, request: ListCiFailures) -> list[CiFailure]:
        return [CiFailure(**asdict(k)) for k in await self.ledger.of(request.project, request.limit)]

    @handles(ListTestRuns)
    async def list_test_runs(self, request: ListTestRuns) -> list[TestRunLine]:
        return [TestRunLine(**asdict(r)) for r in await self.history.runs(request.project, request.limit)]

    @handles(ListTestStats)
    async def list_tests(self, request: ListTestStats) -> list[TestLine]:
        return [TestLine(test=s.test, file=s.file, outcomes=s.outcomes, runs=s.runs, failures=s.failures, flips=s.flips,
                         flaky_reruns=s.flaky_reruns, mean_seconds=s.mean_seconds, last_seconds=s.last_seconds)
                for s in await self.history.stats(request.project, request.runs)]  # fmt: skip

    @handles(GetPipeline)
    async def pipeline(self, request: GetPipeline) -> Pipeline:
        """Read through the forge on each ask (GitHub's answers are conditional: unchanged ones are free);
        a forge that cannot be read is said in `unavailable`, with the test trend still shown."""
        tests = [TestRunLine(**asdict(r)) for r in await self.history.runs(request.project)]
        forge = await self._connectors.forge_of(request.project)
        if forge is None:
            why = "not pinned" if self._connectors.pinned.get(request.project) is None else "no forge configured"
            return Pipeline(project=request.project, tests=tests, unavailable=why)
        try:
            runs = await forge.ci_runs()
            run = next((r for r in runs if r.id == request.run), None) if request.run else (runs[0] if runs else None)
            if request.run and run is None:
                return Pipeline(project=request.project, runs=runs, tests=tests,
                                unavailable=f"CI run {request.run} is not among the recent runs")  # fmt: skip
            jobs = await forge.ci_jobs(run.id) if run is not None else []
            failing = next((j for j in jobs if j.conclusion in FAILED), None)
            step = next((s.name for s in failing.steps if s.conclusion in FAILED), None) if failing else None
            log = clean(await forge.job_log(failing.id, LOG_BYTES)) if failing and request.log_lines else []
        except Failure as exc:
            return Pipeline(project=request.project, tests=tests, unavailable=str(exc))
        return Pipeline(project=request.project, runs=runs, run=run, jobs=jobs, tests=tests,
                        failing_job=failing.name if failing else None, failing_step=step,
                        log=log[-request.log_lines:] if request.log_lines else [])  # fmt: skip
