"""A retried run.start (same key) returns the first run, never a second one: sent twice in a row, and
twice at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from contexten.client.connection import DaemonClient
from contexten.common.protocol import ListRuns, StartRun
from tests.helpers import DaemonProcess, cli_json


def test_the_same_key_twice_from_the_cli_is_one_run(daemon: DaemonProcess) -> None:
    args = ["run", "synthetic", "--param", "steps=1", "--param", "step_ms=0", "--key", "deploy-42"]
    first, again = cli_json(daemon.home, *args), cli_json(daemon.home, *args)
    assert first["id"] == again["id"]
    other = cli_json(daemon.home, "run", "synthetic", "--param", "steps=1", "--param", "step_ms=0")
    assert other["id"] != first["id"]  # no key given: each invocation gets its own


async def test_the_same_key_at_once_from_many_clients_is_one_run(daemon: DaemonProcess, home: Path) -> None:
    clients = [DaemonClient(daemon.paths) for _ in range(8)]
    request = StartRun(flow="synthetic", params={"steps": 1, "step_ms": 0}, key="burst-1")
    try:
        runs = await asyncio.gather(*(c.call(request) for c in clients))
        assert len({r.id for r in runs}) == 1
        listed = await clients[0].call(ListRuns(limit=100))
        assert len([r for r in listed if r.flow == "synthetic"]) == 1
    finally:
        for client in clients:
            await client.aclose()


async def test_a_pin_sent_again_with_its_key_returns_the_first_pin(daemon: DaemonProcess, git_repo: Path) -> None:
    from contexten.common.errors import CommandFailed
    from contexten.common.protocol import PinProject

    client = DaemonClient(daemon.paths)
    try:
        first = await client.call(PinProject(target=str(git_repo), key="pin-1"))
        again = await client.call(PinProject(target=str(git_repo), key="pin-1"))
        assert again == first
        try:
            await client.call(PinProject(target=str(git_repo)))  # without the key it is a second pin: refused
        except CommandFailed as exc:
            assert exc.code == "conflict"
        else:
            raise AssertionError("a second pin of the same folder was accepted")
    finally:
        await client.aclose()
