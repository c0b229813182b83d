"""The control protocol between clients (CLI, console) and the daemon.

Requests travel as one JSON frame on a DEALER -> ROUTER pair:
    {"v": 1, "rid": "<client request id>", "cmd": "<command>", ...command fields}
Replies come back on the same pair:
    {"v": 1, "rid": "<same id>", "ok": true, "result": {...}}
    {"v": 1, "rid": "<same id>", "ok": false, "error": {"code": "...", "message": "..."}}
`rid` is kept apart from the command's own fields (a run's `id`, say).
Events travel on PUB -> SUB as two frames, [b"ev", <Event JSON>]; a heartbeat [b"hb", <Heartbeat JSON>]
carries the last published seq so a subscriber notices a gap even when no further event comes.
"""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated, Any, Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from contexten.common.errors import ProtocolError
from contexten.common.models import (
    BreakerInfo,
    Check,
    Event,
    FlowInfo,
    HealthSample,
    Project,
    PullRequest,
    RateBudget,
    Run,
)

PROTOCOL_VERSION = 1
EVENT_TOPIC = b"ev"
HEARTBEAT_TOPIC = b"hb"
MAX_EVENTS_PAGE = 10_000


class ErrorCode(StrEnum):
    BAD_FRAME = "bad_frame"
    BAD_JSON = "bad_json"
    WRONG_VERSION = "wrong_version"
    UNKNOWN_COMMAND = "unknown_command"
    INVALID_REQUEST = "invalid_request"
    NOT_FOUND = "not_found"
    INVALID_PARAMS = "invalid_params"
    CONFLICT = "conflict"
    INTERNAL = "internal"


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Ping(_Request):
    cmd: Literal["ping"] = "ping"


class Status(_Request):
    cmd: Literal["status"] = "status"


class GetSnapshot(_Request):
    cmd: Literal["snapshot"] = "snapshot"


class EventsSince(_Request):
    cmd: Literal["events.since"] = "events.since"
    since: int = Field(default=0, ge=0)
    limit: int = Field(default=1000, ge=1, le=MAX_EVENTS_PAGE)
    run: int | None = None


class ListFlows(_Request):
    cmd: Literal["flow.list"] = "flow.list"


class ListProjects(_Request):
    cmd: Literal["project.list"] = "project.list"


class PinProject(_Request):
    cmd: Literal["project.pin"] = "project.pin"
    target: str = Field(min_length=1, max_length=4096)


class UnpinProject(_Request):
    cmd: Literal["project.unpin"] = "project.unpin"
    id: str = Field(min_length=1, max_length=200)


class StartRun(_Request):
    cmd: Literal["run.start"] = "run.start"
    flow: str = Field(min_length=1, max_length=200)
    project: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    template: str | None = None  # named parameters to start from; `params` override them


class GetRun(_Request):
    cmd: Literal["run.get"] = "run.get"
    id: int


class ListRuns(_Request):
    cmd: Literal["run.list"] = "run.list"
    limit: int = Field(default=50, ge=1, le=1000)


class CancelRun(_Request):
    cmd: Literal["run.cancel"] = "run.cancel"
    id: int


class PauseRun(_Request):
    cmd: Literal["run.pause"] = "run.pause"
    id: int


class ResumeRun(_Request):
    cmd: Literal["run.resume"] = "run.resume"
    id: int


class RetryRun(_Request):
    cmd: Literal["run.retry"] = "run.retry"
    id: int


class RecoveryTable(_Request):
    cmd: Literal["recovery.table"] = "recovery.table"


class StopDaemon(_Request):
    cmd: Literal["daemon.stop"] = "daemon.stop"


class ListIssues(_Request):
    cmd: Literal["issue.list"] = "issue.list"
    project: str = Field(min_length=1, max_length=200)


class ListPullRequests(_Request):
    cmd: Literal["pr.list"] = "pr.list"
    project: str = Field(min_length=1, max_length=200)


class CreateIssue(_Request):
    cmd: Literal["issue.create"] = "issue.create"
    project: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1, max_length=500)
    body: str = Field(default="", max_length=100_000)
    parent: str | None = Field(default=None, max_length=50)
    key: str = Field(default="", max_length=200)  # an idempotency key; sending the same one twice creates one


class UpdateIssue(_Request):
    cmd: Literal["issue.update"] = "issue.update"
    project: str = Field(min_length=1, max_length=200)
    identifier: str = Field(min_length=1, max_length=50)
    state: str | None = Field(default=None, max_length=100)
    title: str | None = Field(default=None, min_length=1, max_length=500)
    parent: str | None = Field(default=None, max_length=50)


class OpenPullRequest(_Request):
    cmd: Literal["pr.open"] = "pr.open"
    project: str = Field(min_length=1, max_length=200)
    head: str = Field(min_length=1, max_length=250)
    title: str = Field(min_length=1, max_length=500)
    body: str = Field(default="", max_length=100_000)


class GetAnalysis(_Request):
    cmd: Literal["analysis.get"] = "analysis.get"
    project: str = Field(min_length=1, max_length=200)
    trend: int = Field(default=30, ge=0, le=1000)  # how many stored reports to include


class GetSyncLog(_Request):
    cmd: Literal["sync.log"] = "sync.log"
    project: str | None = None
    issue: str | None = None
    limit: int = Field(default=50, ge=1, le=1000)


Request = Annotated[
    GetAnalysis
    | Ping
    | Status
    | GetSnapshot
    | EventsSince
    | ListFlows
    | ListProjects
    | PinProject
    | UnpinProject
    | StartRun
    | GetRun
    | ListRuns
    | CancelRun
    | PauseRun
    | ResumeRun
    | RetryRun
    | RecoveryTable
    | StopDaemon
    | ListIssues
    | ListPullRequests
    | GetSyncLog
    | CreateIssue
    | UpdateIssue
    | OpenPullRequest,
    Field(discriminator="cmd"),
]
_REQUEST = TypeAdapter[Request](Request)
# Every command the Request union accepts, read from the union itself so the two can never drift apart.
COMMANDS = frozenset(t.model_fields["cmd"].default for t in get_args(get_args(Request)[0]))


# ---- results -------------------------------------------------------------------------------------


class DaemonInfo(BaseModel):
    version: str
    protocol: int = PROTOCOL_VERSION
    pid: int
    instance: str
    started_at: float
    uptime_seconds: float
    home: str


class StatusInfo(DaemonInfo):
    projects: list[Project]
    runs_by_state: dict[str, int]
    last_seq: int
    breakers: list[BreakerInfo] = []
    budgets: list[RateBudget] = []


class Snapshot(BaseModel):
    seq: int
    instance: str
    projects: list[Project]
    runs: list[Run]
    health: list[HealthSample]
    flows: list[FlowInfo]
    breakers: list[BreakerInfo] = []
    budgets: list[RateBudget] = []


class PullRequestView(BaseModel):
    pull_request: PullRequest
    checks: list[Check] = []


class SyncEntry(BaseModel):
    at: float
    project: str | None
    issue: str | None
    pull_request: str | None
    trigger: str
    decision: str
    from_state: str | None
    to_state: str | None
    reason: str


class EventPage(BaseModel):
    events: list[Event]
    last_seq: int


class Heartbeat(BaseModel):
    instance: str
    seq: int
    ts: float


class ErrorBody(BaseModel):
    code: ErrorCode
    message: str


class Reply(BaseModel):
    v: int = PROTOCOL_VERSION
    rid: str
    ok: bool
    result: Any = None
    error: ErrorBody | None = None


# ---- encoding ------------------------------------------------------------------------------------


def encode_request(request_id: str, request: _Request) -> bytes:
    body = request.model_dump(mode="json")
    return json.dumps({**body, "v": PROTOCOL_VERSION, "rid": request_id}).encode()


def peek_request_id(raw: bytes) -> str:
    """The id of a request, best effort, so even a refused request gets an answer the client can match."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return ""
    value = doc.get("rid") if isinstance(doc, dict) else None
    return value if isinstance(value, str) else ""


def decode_request(raw: bytes) -> tuple[str, Request]:
    """Parse one request frame, or raise ProtocolError whose code and message name the problem."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ProtocolError(ErrorCode.BAD_JSON, f"request is not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ProtocolError(ErrorCode.INVALID_REQUEST, "request must be a JSON object")
    request_id = doc.pop("rid", "")
    if not isinstance(request_id, str):
        raise ProtocolError(ErrorCode.INVALID_REQUEST, "request 'rid' must be a string")
    version = doc.pop("v", None)
    if version != PROTOCOL_VERSION:
        raise ProtocolError(
            ErrorCode.WRONG_VERSION,
            f"protocol version {version!r} is not supported; this daemon speaks version {PROTOCOL_VERSION}",
        )
    cmd = doc.get("cmd")
    if cmd not in COMMANDS:
        raise ProtocolError(ErrorCode.UNKNOWN_COMMAND, f"unknown command {cmd!r}; known: {', '.join(sorted(COMMANDS))}")
    try:
        return request_id, _REQUEST.validate_python(doc)
    except ValidationError as exc:
        raise ProtocolError(ErrorCode.INVALID_REQUEST, f"{cmd}: {describe_validation_error(exc)}") from None


def encode_reply(reply: Reply) -> bytes:
    return reply.model_dump_json(exclude_none=True).encode()


def decode_reply(raw: bytes) -> Reply:
    try:
        return Reply.model_validate_json(raw)
    except ValidationError as exc:
        raise ProtocolError(ErrorCode.BAD_JSON, f"reply does not parse: {describe_validation_error(exc)}") from None


def describe_validation_error(exc: ValidationError) -> str:
    """One line per problem, each naming the field: 'steps: Input should be a valid integer'."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(value)"
        parts.append(f"{where}: {err['msg']}")
    return "; ".join(parts)
