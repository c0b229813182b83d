"""Every request the protocol declares, sent to a real daemon: each is answered by exactly one handler,
and every answer validates as the type its request names (the client checks that on arrival). A request
the daemon refuses must be refused by name, never as an internal error."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from contexten.client.connection import DaemonClient
from contexten.common.errors import CommandFailed
from contexten.common.models import RunState
from contexten.common.protocol import (
    AckAlert,
    CancelRun,
    CreateIssue,
    ErrorCode,
    EventsSince,
    GetAnalysis,
    GetRun,
    GetSnapshot,
    GetSyncLog,
    ListAlerts,
    ListFlows,
    ListIssues,
    ListProjects,
    ListPullRequests,
    ListRuns,
    OpenPullRequest,
    PauseRun,
    Ping,
    PinProject,
    RecoveryTable,
    Request,
    ResumeRun,
    RetryRun,
    StartRun,
    Status,
    StopDaemon,
    UnpinProject,
    UpdateIssue,
    request_types,
)
from contexten.common.protocol.analytics import GetAnalytics
from contexten.common.protocol.ci import GetPipeline, ListCiFailures, ListTestRuns, ListTestStats
from contexten.common.protocol.delivery import (
    ControlWork,
    GetAgentLog,
    GetWork,
    ListAgents,
    ListWork,
    PlanWork,
    StartWork,
)
from contexten.common.protocol.notify import (
    AckNotice,
    ExplainRoute,
    ListInbox,
    ListOutbox,
    ResolveNotice,
    RetryNotice,
    TryReceiver,
)
from contexten.common.protocol.security import ListSecurityFindings
from tests.helpers import DaemonProcess, eventually


def requests_for(project: str, repo: Path, run: int) -> list[Request[Any]]:
    """One request of each kind, with values that make sense against the daemon this test runs."""
    return [
        Ping(),
        Status(),
        GetSnapshot(),
        EventsSince(since=0, limit=50),
        ListFlows(),
        ListProjects(),
        ListRuns(limit=5),
        GetRun(id=run),
        StartRun(flow="synthetic", params={"steps": 1, "step_ms": 0}),
        PauseRun(id=run),  # ended: refused by name (conflict)
        ResumeRun(id=run),
        CancelRun(id=run),
        RetryRun(id=run),
        RecoveryTable(),
        ListAlerts(),
        AckAlert(key="sampler:cpu"),
        ListIssues(project=project),
        CreateIssue(project=project, title="From the every-request test", key="every-request"),
        UpdateIssue(project=project, identifier="LOCAL-1", state="started"),
        ListPullRequests(project=project),
        OpenPullRequest(project=project, head="no-such-branch", title="refused by name"),
        GetSyncLog(project=project),
        GetAnalysis(project=project, trend=1),
        PinProject(target=str(repo)),  # already pinned: refused by name (conflict)
        UnpinProject(id="no-such-project"),
        PlanWork(project=project, requirements="# A plan\n## One part\nAccept: `true`\n"),
        StartWork(project=project, requirements="# A plan\n## One part\n"),  # no agent: refused by name
        GetWork(flow=1),
        ListWork(),
        ControlWork(flow=1, action="pause"),
        GetAgentLog(flow=1, item=1),
        ListAgents(),
        ListOutbox(),
        ExplainRoute(kind="alert", severity="critical"),
        TryReceiver(receiver="nobody"),  # none configured: refused by name
        RetryNotice(id=999),
        ListInbox(),
        AckNotice(id=999),
        ResolveNotice(id=999),
        ListCiFailures(project="nothing-pinned-so"),
        GetAnalytics(project="nothing-pinned-so"),
        ListTestRuns(project="nothing-pinned-so"),
        GetPipeline(project="nothing-pinned-so"),
        ListTestStats(project="nothing-pinned-so"),
        ListSecurityFindings(project="nothing-pinned-so"),
    ]


async def test_every_request_is_answered_with_its_response_type(home: Path, git_repo: Path) -> None:
    daemon = DaemonProcess(home, "[daemon]\nheartbeat_seconds = 0.2\n").start()
    client = DaemonClient(daemon.paths, timeout=30)
    try:
        project = (await client.call(PinProject(target=str(git_repo)))).id
        run = await client.call(StartRun(flow="synthetic", params={"steps": 1, "step_ms": 0}))

        async def ended() -> bool:
            return (await client.call(GetRun(id=run.id))).state == RunState.COMPLETED

        await eventually(ended, 20, "the run to complete")
        requests = [*requests_for(project, git_repo, run.id), StopDaemon()]
        assert {r.command() for r in requests} == set(request_types()), "a declared request is not exercised here"
        answered, refused = [], {}
        for request in requests:
            try:
                answer = await client.call(request)
            except CommandFailed as exc:
                assert exc.code != ErrorCode.INTERNAL, f"{request.command()} failed inside: {exc}"
                refused[request.command()] = exc.code
                continue
            assert answer is not None
            answered.append(request.command())
        assert refused == {
            "run.pause": "conflict",
            "run.resume": "conflict",
            "run.cancel": "conflict",
            "run.retry": "conflict",  # only a failed, cancelled or crashed run can be retried
            "alert.ack": "not_found",  # no such active alert here
            "pr.open": "not_found",
            "project.pin": "conflict",
            "project.unpin": "not_found",
            "work.start": "invalid_request",
            "work.get": "not_found",
            "work.control": "not_found",
            "work.log": "not_found",
            "notify.test": "not_found",  # no receiver of that name
            "notify.retry": "not_found",
            "notify.ack": "not_found",
            "notify.resolve": "not_found",
        }
        assert "issue.update" in answered and "analysis.get" in answered and answered[-1] == "daemon.stop"
        assert daemon.wait_exit(30) == 0
    finally:
        await client.aclose()
        daemon.stop()
