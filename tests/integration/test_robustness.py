"""Whatever a client sends, the daemon answers with an error and keeps serving; a run carries on."""

from __future__ import annotations

import json

import zmq

from contexten.common.protocol import ErrorCode, Reply
from tests.helpers import DaemonProcess, cli, cli_json, wait_for

GARBAGE: list[tuple[list[bytes], ErrorCode]] = [
    ([b"not json at all"], ErrorCode.BAD_JSON),
    ([b"\xff\xfe\xfd"], ErrorCode.BAD_JSON),
    ([b"[1,2,3]"], ErrorCode.INVALID_REQUEST),
    ([b"{}"], ErrorCode.WRONG_VERSION),
    ([json.dumps({"v": 2, "rid": "v2", "cmd": "ping"}).encode()], ErrorCode.WRONG_VERSION),
    ([json.dumps({"v": 1, "rid": "u", "cmd": "rm -rf"}).encode()], ErrorCode.UNKNOWN_COMMAND),
    ([json.dumps({"v": 1, "rid": "g", "cmd": "run.get", "id": "x"}).encode()], ErrorCode.INVALID_REQUEST),
    (
        [json.dumps({"v": 1, "rid": "s", "cmd": "run.start", "flow": "synthetic", "params": {"steps": -1}}).encode()],
        ErrorCode.INVALID_PARAMS,
    ),
    ([json.dumps({"v": 1, "rid": "n", "cmd": "run.get", "id": 10**6}).encode()], ErrorCode.NOT_FOUND),
    ([b"one", b"two", b"three"], ErrorCode.BAD_FRAME),
    ([b"", b"", b"x"], ErrorCode.BAD_FRAME),
]


def test_malformed_frames_and_unknown_commands_get_error_replies_while_a_run_continues(
    daemon: DaemonProcess,
) -> None:
    run_id = cli(daemon.home, "run", "synthetic", "--param", "steps=4", "--param", "step_ms=300").stdout.strip()
    ctx = zmq.Context()
    dealer = ctx.socket(zmq.DEALER)
    dealer.setsockopt(zmq.LINGER, 0)
    dealer.setsockopt(zmq.RCVTIMEO, 5000)
    dealer.connect(daemon.paths.control_endpoint)
    try:
        for frames, code in GARBAGE:
            dealer.send_multipart(frames)
            reply = Reply.model_validate_json(dealer.recv_multipart()[-1])
            assert not reply.ok, frames
            assert reply.error is not None and reply.error.code == code, (frames, reply)
            assert reply.error.message
        # The id of a refused request comes back, so a client can match the refusal.
        dealer.send_multipart([json.dumps({"v": 7, "rid": "mine", "cmd": "ping"}).encode()])
        assert Reply.model_validate_json(dealer.recv_multipart()[-1]).rid == "mine"
        # A REQ-style envelope (empty delimiter frame) is answered in the same shape.
        req = ctx.socket(zmq.REQ)
        req.setsockopt(zmq.LINGER, 0)
        req.setsockopt(zmq.RCVTIMEO, 5000)
        req.connect(daemon.paths.control_endpoint)
        req.send(json.dumps({"v": 1, "rid": "r", "cmd": "ping"}).encode())
        assert Reply.model_validate_json(req.recv()).ok
        req.close()
    finally:
        dealer.close()
        ctx.term()
    wait_for(lambda: cli_json(daemon.home, "show", run_id)["state"] != "RUNNING", 30, "the run to end")
    assert cli_json(daemon.home, "show", run_id)["state"] == "COMPLETED"
    assert cli_json(daemon.home, "status")["pid"] == daemon.pid  # same daemon, still serving
