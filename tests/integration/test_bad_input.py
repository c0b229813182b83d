"""Bad input answered by name: every request gets a reply, none is an internal error, and the daemon
writes no traceback for it. A seeded, bounded hypothesis fuzzer covers every request type."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import zmq
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from contexten.common.protocol import ErrorCode, Reply, request_types
from contexten.common.protocol.envelope import MAX_FRAME_BYTES
from tests.helpers import DaemonProcess


class Dealer:
    def __init__(self, daemon: DaemonProcess) -> None:
        self._ctx = zmq.Context()
        self._sock = self._ctx.socket(zmq.DEALER)
        self._sock.setsockopt(zmq.LINGER, 0)
        self._sock.setsockopt(zmq.RCVTIMEO, 20_000)
        self._sock.connect(daemon.paths.control_endpoint)

    def ask(self, raw: bytes) -> Reply:
        self._sock.send(raw)
        return Reply.model_validate_json(self._sock.recv())

    def close(self) -> None:
        self._sock.close()
        self._ctx.term()


@pytest.fixture
def dealer(daemon: DaemonProcess) -> Iterator[Dealer]:
    client = Dealer(daemon)
    yield client
    client.close()


def _frame(**doc: Any) -> bytes:
    return json.dumps({"v": 1, "rid": "t", **doc}).encode()


NAMED: list[tuple[bytes, str]] = [
    (_frame(cmd=[]), "unknown command []"),
    (_frame(cmd={}), "unknown command {}"),
    (_frame(cmd="run.get", id=2**63), "id: 9223372036854775808 does not fit in a 64-bit integer"),
    (_frame(cmd="events.since", since=2**70), "since:"),
    (_frame(cmd="events.since", run=-(2**64)), "run:"),
    (_frame(cmd="run.start", flow="synthetic", params={"a": json.loads("[" * 500 + "]" * 500)}), "nests deeper"),
    (b'{"v": 1, "rid": "t", "cmd": "run.start", "flow": "synthetic", "params": ' + b"[" * 100_000 + b"]" * 100_000
     + b"}", "nests deeper"),
    (_frame(cmd="project.pin", target="/" + "a" * 300), "cannot use this path"),
    (_frame(cmd="project.pin", target="owner/.."), "is not a GitHub repository name"),
    (b'{"v": 1, "rid": "t", "cmd": "project.pin", "target": "/tmp/\\ud800"}', "lone surrogate"),
    (_frame(cmd="pr.open", project="p", head="a\x00b", title="t"), "head: contains a NUL character"),
    (_frame(cmd="ping", pad="x" * (MAX_FRAME_BYTES + 10)), "at most 1048576 are accepted"),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "words"), NAMED, ids=[w for _, w in NAMED])
def test_bad_input_is_refused_by_name(daemon: DaemonProcess, dealer: Dealer, raw: bytes, words: str) -> None:
    reply = dealer.ask(raw)
    assert not reply.ok and reply.error is not None
    assert reply.error.code != ErrorCode.INTERNAL, reply.error.message
    assert words in reply.error.message, reply.error.message
    assert "Traceback" not in daemon.log()


def test_a_lone_surrogate_in_the_request_id_still_gets_a_reply(dealer: Dealer) -> None:
    reply = dealer.ask(b'{"v": 1, "rid": "\\udc80", "cmd": "ping"}')
    assert not reply.ok and reply.rid == "" and reply.error is not None
    assert "lone surrogate" in reply.error.message


def test_refusals_are_logged_once_per_client_however_many_it_sends(daemon: DaemonProcess) -> None:
    before = daemon.log().count("refused a request from client")
    noisy, other = Dealer(daemon), Dealer(daemon)
    try:
        for n in range(300):
            reply = noisy.ask(_frame(cmd="run.get", id=2**63 + n))
            assert not reply.ok
        assert not other.ask(_frame(cmd=[])).ok
        assert noisy.ask(_frame(cmd="ping")).ok  # refusals cost the client nothing but its bad requests
    finally:
        noisy.close()
        other.close()
    # One line for each client, not one per request: 300 bad requests cannot fill the log.
    lines = [x for x in daemon.log().splitlines() if "refused a request from client" in x]
    assert len(lines) - before == 2, lines
    assert "does not fit in a 64-bit integer" in lines[-2] and "unknown command" in lines[-1]


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(min_value=-(2**70), max_value=2**70) | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=12,
)
COMMANDS = sorted(set(request_types()) - {"daemon.stop"})


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    cmd = draw(st.sampled_from(COMMANDS))
    fields = [f for f in request_types()[cmd].model_fields if f != "cmd"]
    names = st.sampled_from(fields) | st.text(max_size=6) if fields else st.text(max_size=6)
    body = draw(st.dictionaries(names, JSON, max_size=4))
    return {**body, "v": 1, "rid": "f", "cmd": cmd}


def test_fuzzed_requests_of_every_type_are_each_answered_and_never_internally(home: Any) -> None:
    daemon = DaemonProcess(home, "[daemon]\nheartbeat_seconds = 0.5\n").start()
    client = Dealer(daemon)
    answered: list[str] = []

    @settings(max_examples=400, derandomize=True, deadline=None, suppress_health_check=list(HealthCheck))
    @given(requests())
    def one(doc: dict[str, Any]) -> None:
        reply = client.ask(json.dumps(doc).encode())
        assert reply.ok or (reply.error is not None and reply.error.code != ErrorCode.INTERNAL), (doc, reply)
        answered.append(doc["cmd"])

    try:
        one()
        assert set(answered) == set(COMMANDS)  # every request type was reached
        assert "Traceback" not in daemon.log()
    finally:
        client.close()
        daemon.stop()
