"""The blocking lane client against a real ROUTER socket that answers as told: busy then ok, garbage,
refusals, a stale reply, silence."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import zmq

from contexten.client.lane_call import call_lane
from contexten.common.errors import CommandFailed, DaemonUnreachable, ProtocolError
from contexten.common.paths import Paths

Answer = Callable[[dict[str, object]], list[bytes]]


@pytest.fixture
def paths(tmp_path: Path) -> Paths:
    return Paths(config_file=tmp_path / "config.toml", state_dir=tmp_path, runtime_dir=tmp_path)


class Lane:
    """A ROUTER on the lane socket that answers the n-th request with `answers[n]` (frames to send)."""

    def __init__(self, paths: Paths, answers: list[Answer]) -> None:
        self.requests: list[dict[str, object]] = []
        self._answers = answers
        self._ctx = zmq.Context()
        self._sock = self._ctx.socket(zmq.ROUTER)
        self._sock.bind(f"ipc://{paths.lane_socket}")
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        for answer in self._answers:
            if not self._sock.poll(30_000):
                return
            peer, raw = self._sock.recv_multipart()
            request = json.loads(raw)
            self.requests.append(request)
            for frame in answer(request):
                self._sock.send_multipart([peer, frame])

    def close(self) -> None:
        self._thread.join(30)
        self._sock.close(0)
        self._ctx.term()


@pytest.fixture
def lane(paths: Paths) -> Iterator[Callable[[list[Answer]], Lane]]:
    made: list[Lane] = []

    def make(answers: list[Answer]) -> Lane:
        made.append(Lane(paths, answers))
        return made[-1]

    yield make
    for server in made:
        server.close()


def reply(**fields: object) -> Answer:
    return lambda request: [json.dumps({"v": 1, "rid": request["rid"], **fields}).encode()]


def test_a_busy_answer_is_sent_again_and_a_stale_reply_is_ignored(paths: Paths, lane: Callable[..., Lane]) -> None:
    def stale_then_ok(request: dict[str, object]) -> list[bytes]:
        stale = json.dumps({"v": 1, "rid": "someone-else", "ok": True, "result": "not yours"}).encode()
        return [stale, *reply(ok=True, result={"answer": 42})(request)]

    server = lane([reply(ok=False, error={"code": "busy", "message": "later", "retry_after": 0.01}), stale_then_ok])
    assert call_lane(paths, "status") == {"answer": 42}
    assert [r["cmd"] for r in server.requests] == ["status", "status"]
    assert all(r["v"] == 1 and isinstance(r["rid"], str) for r in server.requests)
    assert server.requests[0]["rid"] != server.requests[1]["rid"]


def test_a_refusal_names_its_code_and_garbage_is_a_protocol_error(paths: Paths, lane: Callable[..., Lane]) -> None:
    lane([reply(ok=False, error={"code": "unavailable", "message": "the store is unwritable"}),
          lambda request: [b"\xff not json"], reply(ok=False)])  # fmt: skip
    with pytest.raises(CommandFailed, match="the store is unwritable") as refused:
        call_lane(paths, "status")
    assert refused.value.code == "unavailable"
    with pytest.raises(ProtocolError, match="status: the reply does not parse as JSON"):
        call_lane(paths, "status")
    with pytest.raises(ProtocolError, match="refused without saying why"):
        call_lane(paths, "status")


def test_silence_is_unreachable_after_the_timeout_and_no_socket_is_unreachable_at_once(
    paths: Paths, lane: Callable[..., Lane]
) -> None:
    with pytest.raises(DaemonUnreachable, match="no daemon is listening"):
        call_lane(paths, "status")
    lane([lambda request: []])
    with pytest.raises(DaemonUnreachable, match=r"did not answer within 0.2s"):
        call_lane(paths, "status", timeout=0.2)
