"""Events over a real SUB socket: seq order, no gaps, identical to the store, and enough to rebuild runs."""

from __future__ import annotations

import asyncio

import zmq
import zmq.asyncio

from contexten.client.connection import DaemonClient
from contexten.client.feed import follow
from contexten.common.event_kinds import EventKind
from contexten.common.models import Event, RunState
from contexten.common.protocol import EVENT_TOPIC, EventsSince, GetRun, Heartbeat, StartRun, Status
from contexten.common.state import ConsoleState
from tests.helpers import DaemonProcess


async def _subscribe(daemon: DaemonProcess) -> zmq.asyncio.Socket:
    sub = zmq.asyncio.Context.instance().socket(zmq.SUB)
    sub.setsockopt(zmq.SUBSCRIBE, b"")
    sub.setsockopt(zmq.LINGER, 0)
    sub.connect(daemon.paths.events_endpoint)
    # Wait for a heartbeat: from then on the subscription is live and nothing published is dropped for us.
    while True:
        topic, _ = await asyncio.wait_for(sub.recv_multipart(), 10)
        if topic == b"hb":
            return sub


async def test_every_event_of_a_run_arrives_in_order_and_matches_the_store(daemon: DaemonProcess) -> None:
    sub = await _subscribe(daemon)
    client = DaemonClient(daemon.paths)
    try:
        run = await client.call(StartRun(flow="health_check"))
        received: list[Event] = []  # everything on the wire from this run's creation to its end
        while True:
            topic, payload = await asyncio.wait_for(sub.recv_multipart(), 20)
            if topic != EVENT_TOPIC:
                continue
            event = Event.model_validate_json(payload)
            if event.kind == EventKind.RUN_CREATED and event.run == run.id:
                received.append(event)
            elif received:
                received.append(event)
                if event.run == run.id and event.kind == EventKind.RUN_STATE and event.data["state"] == "COMPLETED":
                    break
        seqs = [e.seq for e in received]
        assert seqs == list(range(seqs[0], seqs[-1] + 1)), "gap or reorder on the wire"
        stored = (await client.call(EventsSince(since=seqs[0] - 1, limit=len(seqs)))).events
        assert [e.model_dump() for e in stored] == [e.model_dump() for e in received]
        # The events alone rebuild the run exactly as the store has it.
        state = ConsoleState()
        for event in received:
            state.apply(event)
        assert state.runs[run.id] == await client.call(GetRun(id=run.id))
        kinds = {e.kind for e in received}
        assert {EventKind.STEP_PROGRESS, EventKind.HEALTH_METRICS, EventKind.STEP_STATE} <= kinds
    finally:
        sub.close()
        await client.aclose()


async def test_heartbeats_carry_the_last_published_seq(daemon: DaemonProcess) -> None:
    sub = await _subscribe(daemon)
    client = DaemonClient(daemon.paths)
    try:
        status = await client.call(Status())
        while True:
            topic, payload = await asyncio.wait_for(sub.recv_multipart(), 5)
            if topic == b"hb":
                beat = Heartbeat.model_validate_json(payload)
                if beat.seq >= status.last_seq:
                    break
        assert beat.instance == status.instance
    finally:
        sub.close()
        await client.aclose()


async def test_follow_fills_a_gap_from_the_store(daemon: DaemonProcess) -> None:
    """A subscriber that joins late still gets every event after its starting seq, in order."""
    client = DaemonClient(daemon.paths)
    try:
        run = await client.call(StartRun(flow="synthetic", params={"steps": 2, "step_ms": 10}))
        await asyncio.sleep(0)  # nothing to wait for: the gap is the point
        seen: list[Event] = []
        async for event in follow(client, since=0):
            seen.append(event)
            if event.run == run.id and event.kind == EventKind.RUN_STATE and RunState(event.data["state"]).terminal:
                break
        assert [e.seq for e in seen] == list(range(1, len(seen) + 1))
        assert seen[0].kind == EventKind.DAEMON_STARTED
    finally:
        await client.aclose()
