"""The control protocol between clients (CLI, console) and the daemon.

One module per slice declares its requests, each as `class Verb(Request[Answer])`; `envelope` encodes
frames. A command is two things: its request type here and its handler in the daemon slice that owns it.

Names are loaded on first use (PEP 562): a CLI command imports the models it sends and receives, not
every slice's (`contexten status` must start quickly). `request_types()` imports every slice's module.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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
    from contexten.common.protocol.health import AckAlert, AlertAcknowledged, ListAlerts
    from contexten.common.protocol.notify import (
        ExplainRoute,
        ListOutbox,
        OutboxEntry,
        ReceiverTried,
        Requeued,
        RetryNotice,
        RouteStep,
        TryReceiver,
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
    from contexten.common.protocol.wire import EVENT_TOPIC, HEARTBEAT_TOPIC, PROTOCOL_VERSION
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

_HOME = {
    "AckAlert": "health",
    "AlertAcknowledged": "health",
    "ListAlerts": "health",
    "Ack": "base",
    "CancelRun": "runs",
    "ControlWork": "delivery",
    "CreateIssue": "work",
    "DaemonInfo": "daemon",
    "EVENT_TOPIC": "wire",
    "ErrorBody": "envelope",
    "ErrorCode": "envelope",
    "EventPage": "daemon",
    "EventsSince": "daemon",
    "GetAgentLog": "delivery",
    "GetAnalysis": "analysis",
    "GetRun": "runs",
    "GetSnapshot": "daemon",
    "GetSyncLog": "work",
    "GetWork": "delivery",
    "HEARTBEAT_TOPIC": "wire",
    "Heartbeat": "envelope",
    "ListAgents": "delivery",
    "ListFlows": "runs",
    "ListIssues": "work",
    "ListProjects": "projects",
    "ListPullRequests": "work",
    "ListRuns": "runs",
    "ListWork": "delivery",
    "MAX_EVENTS_PAGE": "daemon",
    "OpenPullRequest": "work",
    "PROTOCOL_VERSION": "wire",
    "PauseRun": "runs",
    "PinProject": "projects",
    "Ping": "daemon",
    "PlanWork": "delivery",
    "PullRequestView": "work",
    "RecoveryTable": "resilience",
    "Reply": "envelope",
    "Request": "base",
    "ResumeRun": "runs",
    "RetryRun": "runs",
    "Snapshot": "daemon",
    "ExplainRoute": "notify",
    "Requeued": "notify",
    "RetryNotice": "notify",
    "ListOutbox": "notify",
    "OutboxEntry": "notify",
    "RouteStep": "notify",
    "TryReceiver": "notify",
    "ReceiverTried": "notify",
    "StartRun": "runs",
    "StartWork": "delivery",
    "Status": "daemon",
    "StatusInfo": "daemon",
    "StopDaemon": "daemon",
    "Stopping": "daemon",
    "SyncEntry": "work",
    "UnpinProject": "projects",
    "UpdateIssue": "work",
    "decode_reply": "envelope",
    "decode_request": "envelope",
    "describe_validation_error": "envelope",
    "encode_reply": "envelope",
    "encode_request": "envelope",
    "index_requests": "base",
    "peek_request_id": "envelope",
    "request_types": "base",
}


def __getattr__(name: str) -> Any:
    module = _HOME.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # once loaded, an attribute like any other
    return value


__all__ = [
    "EVENT_TOPIC",
    "HEARTBEAT_TOPIC",
    "MAX_EVENTS_PAGE",
    "PROTOCOL_VERSION",
    "Ack",
    "AckAlert",
    "AlertAcknowledged",
    "CancelRun",
    "ControlWork",
    "CreateIssue",
    "DaemonInfo",
    "ErrorBody",
    "ErrorCode",
    "EventPage",
    "EventsSince",
    "ExplainRoute",
    "GetAgentLog",
    "GetAnalysis",
    "GetRun",
    "GetSnapshot",
    "GetSyncLog",
    "GetWork",
    "Heartbeat",
    "ListAgents",
    "ListAlerts",
    "ListFlows",
    "ListIssues",
    "ListOutbox",
    "ListProjects",
    "ListPullRequests",
    "ListRuns",
    "ListWork",
    "OpenPullRequest",
    "OutboxEntry",
    "PauseRun",
    "PinProject",
    "Ping",
    "PlanWork",
    "PullRequestView",
    "ReceiverTried",
    "RecoveryTable",
    "Reply",
    "Request",
    "Requeued",
    "ResumeRun",
    "RetryNotice",
    "RetryRun",
    "RouteStep",
    "Snapshot",
    "StartRun",
    "StartWork",
    "Status",
    "StatusInfo",
    "StopDaemon",
    "Stopping",
    "SyncEntry",
    "TryReceiver",
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
