"""The control protocol between clients (CLI, console) and the daemon.

One module per slice declares its requests, each as `class Verb(Request[Answer])`; `envelope` encodes
frames. Importing this package imports every slice's module, so `request_types()` sees every command.
A command is two things: its request type here and its handler in the daemon slice that owns it.
"""

from __future__ import annotations

from contexten.common.protocol.analysis import GetAnalysis
from contexten.common.protocol.base import Ack, Request, index_requests, request_types
from contexten.common.protocol.daemon import (
    MAX_EVENTS_PAGE,
    DaemonInfo,
    EventPage,
    EventsSince,
    GetSnapshot,
    Ping,
    Snapshot,
    Status,
    StatusInfo,
    StopDaemon,
    Stopping,
)
from contexten.common.protocol.delivery import (
    ControlWork,
    GetAgentLog,
    GetWork,
    ListAgents,
    ListWork,
    PlanWork,
    StartWork,
)
from contexten.common.protocol.envelope import (
    EVENT_TOPIC,
    HEARTBEAT_TOPIC,
    PROTOCOL_VERSION,
    ErrorBody,
    ErrorCode,
    Heartbeat,
    Reply,
    decode_reply,
    decode_request,
    describe_validation_error,
    encode_reply,
    encode_request,
    peek_request_id,
)
from contexten.common.protocol.projects import ListProjects, PinProject, UnpinProject
from contexten.common.protocol.resilience import RecoveryTable
from contexten.common.protocol.runs import (
    CancelRun,
    GetRun,
    ListFlows,
    ListRuns,
    PauseRun,
    ResumeRun,
    RetryRun,
    StartRun,
)
from contexten.common.protocol.work import (
    CreateIssue,
    GetSyncLog,
    ListIssues,
    ListPullRequests,
    OpenPullRequest,
    PullRequestView,
    SyncEntry,
    UpdateIssue,
)

__all__ = [
    "EVENT_TOPIC",
    "HEARTBEAT_TOPIC",
    "MAX_EVENTS_PAGE",
    "PROTOCOL_VERSION",
    "Ack",
    "CancelRun",
    "ControlWork",
    "CreateIssue",
    "DaemonInfo",
    "ErrorBody",
    "ErrorCode",
    "EventPage",
    "EventsSince",
    "GetAgentLog",
    "GetAnalysis",
    "GetRun",
    "GetSnapshot",
    "GetSyncLog",
    "GetWork",
    "Heartbeat",
    "ListAgents",
    "ListFlows",
    "ListIssues",
    "ListProjects",
    "ListPullRequests",
    "ListRuns",
    "ListWork",
    "OpenPullRequest",
    "PauseRun",
    "PinProject",
    "Ping",
    "PlanWork",
    "PullRequestView",
    "RecoveryTable",
    "Reply",
    "Request",
    "ResumeRun",
    "RetryRun",
    "Snapshot",
    "StartRun",
    "StartWork",
    "Status",
    "StatusInfo",
    "StopDaemon",
    "Stopping",
    "SyncEntry",
    "UnpinProject",
    "UpdateIssue",
    "decode_reply",
    "decode_request",
    "describe_validation_error",
    "encode_reply",
    "encode_request",
    "index_requests",
    "peek_request_id",
    "request_types",
]
