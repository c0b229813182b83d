"""Requests about a project's CI: the failures `failure_analysis` has classified."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contexten.common.lazy_model import LazyModel
from contexten.common.models import CiJob, CiRun
from contexten.common.protocol.base import Request


class CiFailure(LazyModel):
    project: str
    signature: str  # the same failure in another run has the same one
    kind: str  # test, build, lint, dependency, infrastructure, unknown
    title: str
    issue: str | None = None  # the tracker issue filed for it (none for a known flaky one)
    seen: int  # CI runs it failed
    flaky: bool  # a rerun of the same commit passed
    first_seen: float
    last_seen: float
    last_run: int  # the CI run (GitHub Actions run id; locally the check's)


class ListCiFailures(Request[list[CiFailure]]):
    """The distinct CI failures classified so far, most recently seen first."""

    cmd: Literal["ci.failures"] = "ci.failures"
    project: str | None = None
    limit: int = Field(default=100, ge=1, le=1000)


class TestRunLine(LazyModel):
    __test__ = False

    run: int  # the test_optimization run that recorded it
    framework: str
    sha: str
    at: float
    total: int
    failed: int
    skipped: int
    seconds: float


class TestLine(LazyModel):
    __test__ = False

    test: str
    file: str | None = None
    outcomes: str  # oldest first, a letter per run: P passed, F failed, S skipped
    runs: int
    failures: int
    flips: int  # pass <-> fail changes between consecutive runs
    flaky_reruns: int  # runs where it failed, then passed when run again
    mean_seconds: float
    last_seconds: float


class ListTestRuns(Request[list[TestRunLine]]):
    """A project's recorded test runs (test_optimization), oldest first: the trend."""

    cmd: Literal["ci.test_runs"] = "ci.test_runs"
    project: str
    limit: int = Field(default=30, ge=1, le=1000)


class ListTestStats(Request[list[TestLine]]):
    """Per test, over the project's last `runs` recorded test runs."""

    cmd: Literal["ci.tests"] = "ci.tests"
    project: str
    runs: int = Field(default=20, ge=1, le=500)


class Pipeline(LazyModel):
    """A project's CI as the console's pipeline view and `contexten ci PROJECT` show it."""

    project: str
    runs: list[CiRun] = Field(default_factory=list)  # newest first
    run: CiRun | None = None  # the one opened
    jobs: list[CiJob] = Field(default_factory=list)
    failing_job: str | None = None
    failing_step: str | None = None
    log: list[str] = Field(default_factory=list)  # the failing job's log tail, timestamps and colours removed
    tests: list[TestRunLine] = Field(default_factory=list)  # the recorded test runs, oldest first
    unavailable: str | None = None  # why the forge's CI could not be read, when it could not


class GetPipeline(Request[Pipeline]):
    """A project's recent CI runs, one of them (`run`, default the newest) down to its jobs and steps, the
    failing job's log tail, and the test trend."""

    cmd: Literal["ci.pipeline"] = "ci.pipeline"
    project: str
    run: int | None = None
    log_lines: int = Field(default=200, ge=0, le=5000)
