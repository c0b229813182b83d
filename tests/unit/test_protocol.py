from __future__ import annotations

import contextlib
import json
from typing import Any, Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from contexten.common.errors import ProtocolError
from contexten.common.protocol import (
    PROTOCOL_VERSION,
    AckAlert,
    CancelRun,
    CreateIssue,
    ErrorBody,
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
    Reply,
    Request,
    ResumeRun,
    RetryRun,
    StartRun,
    Status,
    StopDaemon,
    UnpinProject,
    UpdateIssue,
    decode_reply,
    decode_request,
    encode_reply,
    encode_request,
    index_requests,
    peek_request_id,
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

EVERY_REQUEST: list[Request[Any]] = [
    Ping(),
    Status(),
    GetSnapshot(),
    EventsSince(since=5, limit=10, run=3),
    ListFlows(),
    ListProjects(),
    PinProject(target="/srv/repo"),
    UnpinProject(id="repo"),
    StartRun(flow="synthetic", project="repo", params={"steps": 3, "nested": {"a": [1, 2]}}),
    GetRun(id=7),
    ListRuns(limit=5),
    CancelRun(id=9),
    PauseRun(id=9),
    ResumeRun(id=9),
    RetryRun(id=9),
    RecoveryTable(),
    ListAlerts(),
    AckAlert(key="sampler:cpu"),
    StopDaemon(),
    ListIssues(project="repo"),
    ListPullRequests(project="repo"),
    CreateIssue(project="repo", title="Ship it", body="text", parent="LOCAL-1", key="k1"),
    UpdateIssue(project="repo", identifier="LOCAL-2", state="started"),
    OpenPullRequest(project="repo", head="feature", title="Feature"),
    GetSyncLog(project="repo", limit=3),
    GetAnalysis(project="repo", trend=2),
    PlanWork(project="repo", requirements="# T\n## A\n", planner="outline"),
    StartWork(project="repo", requirements="# T\n## A\n", agent="claude", key="k2"),
    GetWork(flow=1),
    ListWork(project="repo", limit=3),
    ControlWork(flow=1, item=2, action="retry"),
    GetAgentLog(flow=1, item=2, tail=100),
    ListAgents(),
    ListOutbox(state="pending", limit=5),
    ExplainRoute(kind="run.failed", project="repo", flow="synthetic", severity="warning"),
    TryReceiver(receiver="team"),
    RetryNotice(id=4),
    ListInbox(state="open", limit=5),
    AckNotice(id=3, by="ana"),
    ResolveNotice(id=3),
    ListCiFailures(project="repo", limit=5),
    GetAnalytics(project="repo", window_seconds=3600, steps=3),
    ListTestRuns(project="repo", limit=5),
    GetPipeline(project="repo", run=3, log_lines=10),
    ListTestStats(project="repo", runs=5),
    ListSecurityFindings(project="repo", state="fixed", limit=5),
]


@pytest.mark.parametrize("request_", EVERY_REQUEST, ids=lambda r: r.command())
def test_every_request_round_trips_with_its_id(request_: Request[Any]) -> None:
    raw = encode_request("abc123", request_)
    request_id, decoded = decode_request(raw)
    assert request_id == "abc123"
    assert decoded == request_


def test_a_command_field_named_id_does_not_clobber_the_request_id() -> None:
    # Regression: GetRun.id once overwrote the envelope id and the reply could never be matched.
    request_id, decoded = decode_request(encode_request("r-1", GetRun(id=42)))
    assert (request_id, decoded) == ("r-1", GetRun(id=42))


def test_reply_round_trip() -> None:
    ok = Reply(rid="x", ok=True, result={"a": 1})
    err = Reply(rid="y", ok=False, error=ErrorBody(code=ErrorCode.NOT_FOUND, message="no run 3"))
    assert decode_reply(encode_reply(ok)) == ok
    assert decode_reply(encode_reply(err)) == err


@pytest.mark.parametrize(
    ("raw", "code", "words"),
    [
        (b"not json", ErrorCode.BAD_JSON, "not valid JSON"),
        (b"\xff\xfe", ErrorCode.BAD_JSON, "not valid JSON"),
        (b"[1, 2]", ErrorCode.INVALID_REQUEST, "JSON object"),
        (json.dumps({"v": 99, "rid": "a", "cmd": "ping"}).encode(), ErrorCode.WRONG_VERSION, "version 99"),
        (json.dumps({"rid": "a", "cmd": "ping"}).encode(), ErrorCode.WRONG_VERSION, "version None"),
        (json.dumps({"v": 1, "rid": "a", "cmd": "explode"}).encode(), ErrorCode.UNKNOWN_COMMAND, "'explode'"),
        (json.dumps({"v": 1, "rid": 5, "cmd": "ping"}).encode(), ErrorCode.INVALID_REQUEST, "'rid'"),
        (json.dumps({"v": 1, "cmd": "run.get", "id": "seven"}).encode(), ErrorCode.INVALID_REQUEST, "id:"),
        (json.dumps({"v": 1, "cmd": "ping", "extra": 1}).encode(), ErrorCode.INVALID_REQUEST, "extra"),
        (json.dumps({"v": 1, "cmd": "events.since", "limit": 0}).encode(), ErrorCode.INVALID_REQUEST, "limit"),
    ],
)
def test_bad_requests_are_refused_with_a_code_and_a_message_naming_the_problem(
    raw: bytes, code: ErrorCode, words: str
) -> None:
    with pytest.raises(ProtocolError) as info:
        decode_request(raw)
    assert info.value.code == code
    assert words in str(info.value)


def test_the_request_id_is_recovered_even_from_a_refused_request() -> None:
    raw = json.dumps({"v": 99, "rid": "keep-me", "cmd": "ping"}).encode()
    assert peek_request_id(raw) == "keep-me"
    assert peek_request_id(b"garbage") == ""


@given(st.binary(max_size=200))
def test_arbitrary_bytes_never_escape_as_anything_but_a_protocol_error(raw: bytes) -> None:
    with contextlib.suppress(ProtocolError):
        decode_request(raw)


@given(
    st.dictionaries(
        st.sampled_from(["v", "rid", "cmd", "id", "since", "limit", "flow", "params", "target"]),
        st.one_of(st.none(), st.integers(), st.text(max_size=10), st.lists(st.integers(), max_size=3)),
    )
)
def test_arbitrary_json_objects_never_escape_as_anything_but_a_protocol_error(doc: dict[str, object]) -> None:
    with contextlib.suppress(ProtocolError):
        decode_request(json.dumps(doc).encode())


def test_version_constant_is_what_requests_carry() -> None:
    assert json.loads(encode_request("a", Ping()))["v"] == PROTOCOL_VERSION


def test_the_round_trip_list_covers_every_declared_command() -> None:
    # A new request must be added above, so its encoding is tested; request_types() finds them in the code.
    assert {r.command() for r in EVERY_REQUEST} == set(request_types())


@pytest.mark.parametrize("kind", [kind for _, kind in sorted(request_types().items())], ids=lambda kind: kind.command())
def test_every_request_names_a_response_type_that_validates(kind: type[Request[Any]]) -> None:
    response = kind.response_type()
    assert response is not Any
    with pytest.raises(ValidationError):
        kind.response_adapter().validate_python(object())


def test_a_request_without_a_response_type_is_a_clear_error() -> None:
    class Loose(Request):  # type: ignore[type-arg]
        cmd: Literal["loose.test"] = "loose.test"

    with pytest.raises(TypeError, match="does not name its response type"):
        Loose.response_type()


def test_two_requests_with_one_command_are_refused() -> None:
    class First(Request[int]):
        cmd: Literal["dup.test"] = "dup.test"

    class Second(Request[int]):
        cmd: Literal["dup.test"] = "dup.test"

    with pytest.raises(TypeError, match="declared twice"):
        index_requests([First, Second])
    # Requests declared outside the protocol package are not part of the protocol.
    assert "dup.test" not in request_types()
