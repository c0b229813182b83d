"""The router refuses to be built wrong: a request with two handlers, or a declared request with none."""

from __future__ import annotations

import json
from typing import Any

import pytest

from contexten.common.protocol import ErrorCode, Ping, decode_reply, encode_request
from contexten.common.protocol.daemon import DaemonInfo
from contexten.daemon.platform.lifecycle import Slice, handles
from contexten.daemon.platform.router import Router, RoutingError

INFO = DaemonInfo(version="t", pid=1, instance="i", started_at=0, uptime_seconds=0, home="/h")


class Pinger(Slice):
    name = "pinger"

    @handles(Ping)
    async def ping(self, _: Ping) -> DaemonInfo:
        return INFO


class WrongAnswer(Slice):
    name = "wrong"

    @handles(Ping)
    async def ping(self, _: Ping) -> Any:
        return {"not": "a DaemonInfo"}


def test_a_slice_lists_its_decorated_handlers() -> None:
    assert set(Pinger().handlers()) == {Ping}


def test_two_handlers_for_one_request_are_refused_by_name() -> None:
    router = Router()
    router.add("pinger", Pinger().handlers())
    with pytest.raises(RoutingError, match="ping is handled twice: by pinger and by other"):
        router.add("other", Pinger().handlers())


def test_a_router_missing_handlers_names_them() -> None:
    router = Router()
    router.add("pinger", Pinger().handlers())
    with pytest.raises(RoutingError) as info:
        router.check_complete()
    assert "run.start" in str(info.value) and "ping," not in str(info.value)


async def test_a_handled_request_is_answered_in_its_response_type() -> None:
    router = Router()
    router.add("pinger", Pinger().handlers())
    reply = decode_reply(await router.handle(encode_request("r1", Ping())))
    assert reply.ok and reply.rid == "r1" and DaemonInfo.model_validate(reply.result) == INFO


async def test_an_answer_of_the_wrong_type_is_an_internal_error_not_a_crash() -> None:
    router = Router()
    router.add("wrong", WrongAnswer().handlers())
    reply = decode_reply(await router.handle(encode_request("r2", Ping())))
    assert not reply.ok and reply.error is not None and reply.error.code == ErrorCode.INTERNAL


async def test_an_unrouted_request_is_refused_by_name_not_raised() -> None:
    # A router with some routes only (the control lane's) answers the others by name.
    raw = json.dumps({"v": 1, "rid": "r3", "cmd": "status"}).encode()
    reply = decode_reply(await Router().handle(raw))
    assert not reply.ok and reply.error is not None and reply.error.code == ErrorCode.UNKNOWN_COMMAND
    assert reply.error.message == "status is not answered on this socket" and reply.rid == "r3"
