"""Backpressure on the control socket, against a real daemon on loopback: clients that flood it (and never
read their replies) are turned away with `busy`, the control lane answers `status` throughout, and SIGTERM
still stops the daemon at once. Bounded in count; waits on replies, not on time."""

from __future__ import annotations

import json
import signal
import threading
from typing import Any

import zmq

from contexten.common.protocol import ErrorCode, Reply
from tests.helpers import DaemonProcess

FLOODERS = 8
PER_FLOODER = 1500
HEAVY: list[dict[str, Any]] = [
    {"cmd": "events.since", "since": 0, "limit": 10000},
    {"cmd": "snapshot"},
    {"cmd": "run.list", "limit": 1000},
    {"cmd": "flow.list"},
]


def _frame(n: int, doc: dict[str, Any]) -> bytes:
    return json.dumps({"v": 1, "rid": f"f{n}", **doc}).encode()


def _flood(endpoint: str, seed: int, sent: threading.Event, done: threading.Event) -> None:
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
    sock = ctx.socket(zmq.DEALER)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.SNDHWM, 0)
    sock.connect(endpoint)
    try:
        for n in range(PER_FLOODER):
            sock.send(_frame(n, HEAVY[(n + seed) % len(HEAVY)]) if n % 7 else b"\x00garbage")
        sent.set()
    finally:
        done.wait(60)
        sock.close()


def test_a_flood_is_turned_away_busy_while_status_is_answered_and_sigterm_works(daemon: DaemonProcess) -> None:
    endpoint = daemon.paths.control_endpoint
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
    probe = ctx.socket(zmq.DEALER)
    probe.setsockopt(zmq.LINGER, 0)
    probe.setsockopt(zmq.RCVTIMEO, 30_000)
    probe.connect(endpoint)
    lane = ctx.socket(zmq.DEALER)  # where clients send status: the control lane's own socket and thread
    lane.setsockopt(zmq.LINGER, 0)
    lane.setsockopt(zmq.RCVTIMEO, 30_000)
    lane.connect(daemon.paths.lane_endpoint)
    reader = ctx.socket(zmq.DEALER)  # one flooder that reads: it must see `busy`, with a retry hint
    reader.setsockopt(zmq.LINGER, 0)
    reader.setsockopt(zmq.RCVTIMEO, 30_000)
    reader.connect(endpoint)
    done = threading.Event()
    sent = [threading.Event() for _ in range(FLOODERS)]
    threads = [threading.Thread(target=_flood, args=(endpoint, i, sent[i], done), daemon=True) for i in range(FLOODERS)]
    try:
        for thread in threads:
            thread.start()
        for n in range(200):
            reader.send(_frame(n, HEAVY[0]))
        replies = [Reply.model_validate_json(reader.recv()) for _ in range(200)]
        busy = [r for r in replies if r.error is not None and r.error.code == ErrorCode.BUSY]
        assert busy, "200 requests at once from one client were all taken in"
        assert all(r.error is not None and r.error.retry_after for r in busy)
        assert all(r.ok or (r.error is not None and r.error.code == ErrorCode.BUSY) for r in replies)
        # The control lane: every status probe is answered while the flood is sent and after, on the lane's
        # socket and on the command socket too (a client that sends it there).
        answered = 0
        while not all(e.is_set() for e in sent) or answered < 20:
            for sock in (lane, probe):
                sock.send(_frame(answered, {"cmd": "status"}))
                reply = Reply.model_validate_json(sock.recv())
                assert reply.ok, reply
            answered += 1
        daemon.signal(signal.SIGTERM)
        assert daemon.wait_exit(30) == 0
    finally:
        done.set()
        for thread in threads:
            thread.join(30)
        probe.close()
        lane.close()
        reader.close()


def test_the_control_lane_answers_its_own_requests_only_and_as_the_command_socket_does(daemon: DaemonProcess) -> None:
    ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
    socks = {}
    for name, endpoint in (("lane", daemon.paths.lane_endpoint), ("main", daemon.paths.control_endpoint)):
        sock = ctx.socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.RCVTIMEO, 30_000)
        sock.connect(endpoint)
        socks[name] = sock
    try:
        answers = {}
        for name, sock in socks.items():
            sock.send(_frame(0, {"cmd": "status"}))
            answers[name] = Reply.model_validate_json(sock.recv())
        lane, main = answers["lane"].result, answers["main"].result
        assert lane["instance"] == main["instance"] and lane["runs_by_state"] == main["runs_by_state"]
        assert lane["projects"] == main["projects"] and lane["last_seq"] <= main["last_seq"]
        socks["lane"].send(_frame(1, {"cmd": "run.list"}))
        refused = Reply.model_validate_json(socks["lane"].recv())
        assert refused.error is not None and refused.error.code == ErrorCode.UNKNOWN_COMMAND
        assert "run.list is not answered on this socket" in refused.error.message
        socks["lane"].send(b"garbage")
        garbage = Reply.model_validate_json(socks["lane"].recv())
        assert garbage.error is not None and garbage.error.code != ErrorCode.INTERNAL
    finally:
        for sock in socks.values():
            sock.close()
    assert "Traceback" not in daemon.log()
