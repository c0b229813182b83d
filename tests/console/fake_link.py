"""An in-repo fake of the console's DaemonLink port: replays a fixed snapshot, records commands."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any, TypeVar

from contexten.client.feed import Connected, FeedItem
from contexten.common.alerts import ActiveAlert
from contexten.common.analysis_view import (
    AnalysisView,
    DeadCodeItem,
    DuplicateItem,
    FunctionMetric,
    HotspotItem,
    TrendPoint,
)
from contexten.common.errors import CommandFailed
from contexten.common.models import (
    BreakerInfo,
    Check,
    Event,
    FlowInfo,
    HealthSample,
    Issue,
    Project,
    PullRequest,
    RateBudget,
    RecoveryRow,
    Run,
    RunState,
    Step,
    StepState,
    TemplateInfo,
)
from contexten.common.protocol import (
    Ack,
    AckAlert,
    AlertAcknowledged,
    CancelRun,
    EventPage,
    EventsSince,
    GetAnalysis,
    ListAlerts,
    ListIssues,
    ListPullRequests,
    PauseRun,
    PinProject,
    PullRequestView,
    RecoveryTable,
    Request,
    ResumeRun,
    RetryRun,
    Snapshot,
    StartRun,
    UnpinProject,
)
from contexten.common.protocol.notify import ListOutbox, OutboxEntry, Requeued, RetryNotice
from contexten.tui.link import DaemonLink
from tests.console.fake_ci import FakeCi
from tests.console.fake_inbox import FakeInbox
from tests.console.fake_work import FakeWork

T0 = 1_700_000_000.0
R = TypeVar("R")


def sample_analysis(project: str) -> AnalysisView:
    summary = {"files": 42, "skipped": 1, "functions": 310, "nloc": 8120, "ccn_average": 3.4, "ccn_max": 27,
               "complex_functions": 6, "dead_code": 5, "dead_code_high": 2, "duplicate_blocks": 2,
               "duplicated_lines_percent": 1.8, "cycles": 1}  # fmt: skip
    functions = [("api/search.py", "Index.rank", 120, 188, 27, 61), ("api/parse.py", "parse_query", 10, 52, 14, 38),
                 ("api/util.py", "slugify", 3, 9, 2, 6), ("api/search.py", "Index.add", 190, 240, 11, 44),
                 ("api/cli.py", "main", 5, 30, 6, 22)]  # fmt: skip
    return AnalysisView(
        project=project, root=f"/srv/{project}", analysed_at=T0 - 30, summary=summary,
        functions=[FunctionMetric(file=f, name=n, start_line=s, end_line=e, ccn=c, nloc=loc)
                   for f, n, s, e, c, loc in sorted(functions, key=lambda x: -x[4])],
        dead_code=[DeadCodeItem(file="api/util.py", name="os", kind="import", line=1, confidence=95,
                                reason="imported from os and never used"),
                   DeadCodeItem(file="api/legacy.py", name="_old_rank", kind="function", line=12, confidence=90,
                                reason="_old_rank is never read")],
        duplicates=[DuplicateItem(tokens=88, lines=12, occurrences=["api/search.py:120-131", "api/rank.py:8-19"])],
        cycles=[["api/index.py", "api/search.py"]],
        hotspots=[HotspotItem(file="api/search.py", name="Index.rank", ccn=27, churn=9, score=243)],
        trend=[TrendPoint(at=T0 - 86400 * (3 - n), flow="code_quality_check", run=n,
                          summary={**summary, "ccn_average": 3.0 + n * 0.2, "dead_code_high": 4 - n})
               for n in range(3)],
    )  # fmt: skip


def sample_events() -> list[Event]:
    """The store's events the fake answers `events.since` from: run #2's life, and some others."""
    rows: list[tuple[str, int | None, str | None, dict[str, Any]]] = [
        ("project.pinned", None, "api", {"id": "api"}),
        ("run.state", 2, "api", {"state": "RUNNING"}),
        ("step.state", 2, "api", {"index": 0, "state": "RUNNING"}),
        ("step.progress", 2, "api", {"index": 0, "progress": 1.0, "message": "10/10"}),
        ("step.state", 2, "api", {"index": 0, "state": "COMPLETED"}),
        ("health.metrics", None, None, {"cpu": 12.0, "memory": 40.0, "disk": 61.0}),
        ("step.state", 2, "api", {"index": 1, "state": "FAILED",
                                  "error": "SyntheticFailure: step-2 failed as asked (fail_at=1)"}),
        ("run.state", 2, "api", {"state": "FAILED", "error": "step-2 failed: SyntheticFailure"}),
        ("alert", 2, "api", {"key": "recovery:run 2", "severity": "critical", "message": "run 2 needs a person"}),
        ("run.state", 3, "web", {"state": "RUNNING"}),
    ]  # fmt: skip
    return [Event(seq=400 + n, ts=T0 - 60 + n, kind=k, run=r, project=p, data=d) for n, (k, r, p, d) in enumerate(rows)]


def sample_outbox() -> list[OutboxEntry]:
    def entry(n: int, state: str, receiver: str, title: str, **more: Any) -> OutboxEntry:
        return OutboxEntry(id=n, seq=400 + n, receiver=receiver, route="notify.routes[0]", kind="run.failed",
                           title=title, severity="warning", state=state, attempts=1, created_at=T0 - 60 + n,
                           next_at=T0 - 60 + n, **more)  # fmt: skip

    return [
        entry(3, "refused", "ops", "run #2 synthetic failed", last_error="slack api: channel_not_found"),
        entry(2, "sent", "team", "run #2 synthetic failed", remote="1700000001.000100", sent_at=T0 - 50),
        entry(1, "sent", "team", "warning from sampler", remote="1700000000.000100", sent_at=T0 - 55),
    ]


def sample_alerts() -> list[ActiveAlert]:
    def alert(key: str, seq: int, severity: str, message: str, **extra: Any) -> ActiveAlert:
        return ActiveAlert(key=key, seq=seq, ts=T0 - 600 + seq, first_ts=T0 - 600 + seq, severity=severity,
                           message=message, **extra)  # fmt: skip

    return [
        alert("recovery:run 2", 412, "critical", "run 2 (synthetic) needs a person: internal_bug", source="recovery",
              project="api", run=2),
        alert("start_flow:flow 1 item 4", 405, "critical", "flow 1 item 4 (ENG-4) needs a person: tests fail",
              source="start_flow"),
        alert("sampler:cpu", 418, "warning", "cpu at 93% (limit 90%)", source="sampler", count=3),
        alert("sync:stale_issue:api", 300, "info", "ENG-9 has had no update for 14 days", source="sync", project="api"),
    ]  # fmt: skip


def sample_issues(project: str) -> list[Issue]:
    url = "https://github.com/acme/api/pull/7"
    return [
        Issue(id="1", identifier="ENG-1", tracker="linear", project=project, team="ENG", title="Ship search",
              state="started", state_name="In Progress", children=["ENG-2", "ENG-3", "ENG-4"]),
        Issue(id="2", identifier="ENG-2", tracker="linear", project=project, team="ENG", title="Research indexes",
              state="completed", state_name="Done", parent="ENG-1"),
        Issue(id="3", identifier="ENG-3", tracker="linear", project=project, team="ENG", title="Build the index",
              state="started", state_name="In Review", parent="ENG-1", pull_requests=[url]),
        Issue(id="4", identifier="ENG-4", tracker="linear", project=project, team="ENG", title="Query syntax",
              state="unstarted", state_name="Todo", parent="ENG-1"),
    ]  # fmt: skip


def sample_pull_requests(project: str) -> list[PullRequestView]:
    pr = PullRequest(project=project, number=7, title="Build the index", head="eng-3-index", base="main",
                     url="https://github.com/acme/api/pull/7", updated_at=T0)  # fmt: skip
    merged = PullRequest(project=project, number=5, title="Research notes", head="eng-2-notes", base="main",
                         state="merged", updated_at=T0)  # fmt: skip
    return [
        PullRequestView(pull_request=pr, checks=[
            Check(name="tests", status="completed", conclusion="success"),
            Check(name="lint", status="completed", conclusion="failure"),
        ]),
        PullRequestView(pull_request=merged, checks=[Check(name="tests", status="completed", conclusion="success")]),
    ]  # fmt: skip


def sample_snapshot() -> Snapshot:
    steps = [
        Step(
            index=0,
            name="system_metrics",
            state=StepState.COMPLETED,
            attempts=1,
            started_at=T0,
            ended_at=T0 + 0.5,
            progress=1.0,
            message="cpu 12%  mem 40%  disk 61%",
        ),
        Step(
            index=1,
            name="store_integrity",
            state=StepState.COMPLETED,
            attempts=1,
            started_at=T0 + 0.5,
            ended_at=T0 + 0.6,
            progress=1.0,
            message="ok, 1.2 MB, 420 events",
        ),
        Step(
            index=2,
            name="bus_lag",
            state=StepState.RUNNING,
            attempts=1,
            started_at=T0 + 0.6,
            progress=0.4,
            message="2/5 probes",
        ),
        Step(index=3, name="connectors"),
    ]
    failed = Run(
        id=2,
        flow="synthetic",
        project="api",
        state=RunState.FAILED,
        created_at=T0 - 60,
        started_at=T0 - 60,
        ended_at=T0 - 58,
        error="step-2 failed: SyntheticFailure: step-2 failed as asked (fail_at=1)",
        params={"steps": 2, "step_ms": 1000, "fail_at": 1},
        steps=[
            Step(
                index=0,
                name="step-1",
                state=StepState.COMPLETED,
                attempts=1,
                started_at=T0 - 60,
                ended_at=T0 - 59,
                progress=1.0,
                message="10/10",
            ),
            Step(
                index=1,
                name="step-2",
                state=StepState.FAILED,
                attempts=1,
                started_at=T0 - 59,
                ended_at=T0 - 58,
                progress=0.4,
                error="SyntheticFailure: step-2 failed as asked (fail_at=1)",
            ),
        ],
    )
    return Snapshot(
        seq=420,
        instance="fake",
        projects=[
            Project(id="api", name="api", kind="local", location="/srv/api", pinned_at=T0 - 3600, health="failing"),
            Project(id="web", name="web", kind="github", location="acme/web", pinned_at=T0 - 1800, health="ok"),
        ],
        runs=[
            Run(
                id=3,
                flow="health_check",
                project="web",
                state=RunState.RUNNING,
                created_at=T0,
                started_at=T0,
                steps=steps,
            ),
            failed,
            Run(
                id=1,
                flow="health_check",
                project="web",
                state=RunState.COMPLETED,
                created_at=T0 - 120,
                started_at=T0 - 120,
                ended_at=T0 - 119.4,
            ),
        ],
        health=[HealthSample(ts=T0 + i, cpu=10 + (i * 7) % 60, memory=40 + i % 5, disk=61) for i in range(60)],
        breakers=[
            BreakerInfo(name="github", state="CLOSED", failure_rate=10.0, calls=20),
            BreakerInfo(name="linear", state="OPEN", reopen_at=T0 + 25),
        ],
        alerts=sample_alerts(),
        budgets=[
            RateBudget(connector="github", resource="core", limit=5000, remaining=4812, reset=T0 + 1800),
            RateBudget(connector="linear", resource="requests", limit=1500, remaining=90, reset=T0 + 600),
        ],
        flows=[
            FlowInfo(name="health_check", description="System metrics, store integrity, bus lag.", params_schema={}),
            FlowInfo(
                name="synthetic",
                description="Steps that take time.",
                params_schema={"properties": {"steps": {"default": 5, "description": "How many steps."}}},
                templates=[TemplateInfo(name="quick", description="Three short steps", params={"steps": 3})],
            ),
        ],
    )


class FakeDaemonLink(DaemonLink):
    def __init__(self, snapshot: Snapshot | None = None) -> None:
        self.snapshot = snapshot or sample_snapshot()
        self.outbox = sample_outbox()
        self.calls: list[tuple[str, Any]] = []
        self.work = FakeWork()
        self.inbox = FakeInbox()
        self.ci = FakeCi()
        self.many_issues: list[Issue] | None = None
        # What the feed yields after the snapshot: a test puts events (or a Disconnected) here.
        self.items: asyncio.Queue[FeedItem] = asyncio.Queue()

    async def feed(self) -> AsyncIterator[FeedItem]:
        yield self.snapshot
        yield Connected(self.snapshot.instance)
        while True:
            yield await self.items.get()

    def issues_of(self, project: str) -> list[Issue]:
        """The project's issues; a test may set `many_issues` to see paging."""
        return self.many_issues if self.many_issues is not None else sample_issues(project)

    async def call(self, request: Request[R]) -> R:
        """Answers every request the console sends from the sample data, recording what was asked. The
        answer is validated as the request's response type, as the real client does."""
        answer = await self._answer(request)
        return type(request).response_adapter().validate_python(answer)  # type: ignore[no-any-return]

    async def _answer(self, request: Request[Any]) -> Any:
        match request:
            case PinProject(target=target):
                self.calls.append(("pin", target))
                raise CommandFailed("invalid_request", f"{target!r} is neither a folder nor a GitHub repository")
            case UnpinProject(id=project_id):
                self.calls.append(("unpin", project_id))
                raise CommandFailed("not_found", f"no pinned project {project_id!r}")
            case StartRun(flow=flow, project=project, params=params):
                self.calls.append(("start", (flow, project, params)))
                return Run(id=99, flow=flow, project=project, params=params, created_at=T0)
            case CancelRun(id=run_id) | PauseRun(id=run_id) | ResumeRun(id=run_id):
                action = {CancelRun: "cancel", PauseRun: "pause", ResumeRun: "resume"}[type(request)]
                self.calls.append((action, run_id))
                return Ack(id=run_id, action=action)
            case RetryRun(id=run_id):
                self.calls.append(("retry", run_id))
                return Run(id=run_id, flow="synthetic", created_at=T0, attempt=2)
            case EventsSince(since=since, limit=limit, run=run):
                self.calls.append(("events", (since, run)))
                found = [e for e in sample_events() if e.seq > since and (run is None or e.run == run)][:limit]
                return EventPage(events=found, last_seq=self.snapshot.seq)
            case ListAlerts():
                self.calls.append(("alerts", None))
                return [a for a in self.snapshot.alerts if ("ack", a.key) not in self.calls]
            case AckAlert(key=key):
                self.calls.append(("ack", key))
                alert = next(a for a in self.snapshot.alerts if a.key == key)
                return AlertAcknowledged(key=key, message=alert.message)
            case ListOutbox(state=state, limit=limit):
                self.calls.append(("outbox", state))
                rows = [r for r in self.outbox if not state or r.state == state][:limit]
                return [r.model_copy() for r in rows]
            case RetryNotice(id=notice_id):
                self.calls.append(("notice.retry", notice_id))
                row = next((r for r in self.outbox if r.id == notice_id), None)
                if row is None or row.state not in ("refused", "uncertain"):
                    raise CommandFailed("conflict", f"notice #{notice_id} is not refused or uncertain")
                row.state, row.last_error = "pending", None
                return Requeued(ids=[notice_id])
            case RecoveryTable():
                self.calls.append(("recovery", None))
                return sample_recovery_table()
            case ListIssues(project=project, offset=offset, limit=limit):
                self.calls.append(("issues", project))
                every = self.issues_of(project)
                return every[offset : offset + limit] if limit is not None else every[offset:]
            case ListPullRequests(project=project):
                self.calls.append(("pull_requests", project))
                return sample_pull_requests(project)
            case GetAnalysis(project=project):
                self.calls.append(("analysis", project))
                return sample_analysis(project)
        for part in (self.work, self.inbox, self.ci):
            answer = part.answer(request)
            if answer is not NotImplemented:
                return answer
        raise CommandFailed("unknown_command", f"the fake link does not answer {request.command()}")


def sample_recovery_table() -> list[RecoveryRow]:
    return [
        RecoveryRow(failure_class="timeout", strategy="retry", rank=1, attempts=8, successes=6, success_rate=0.75),
        RecoveryRow(
            failure_class="timeout", strategy="rollback_rerun", rank=2, attempts=2, successes=0, success_rate=0.0
        ),
        RecoveryRow(failure_class="timeout", strategy="escalate", rank=3, attempts=0, successes=0, success_rate=0.0),
    ]
