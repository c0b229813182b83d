"""Receiving every event exactly once and in order, over a lossy PUB/SUB link (ZeroMQ's Clone pattern).

Subscribe first; then take a snapshot (or a starting seq); drop updates at or below it; and whenever an
event or a heartbeat shows a seq beyond the next expected one, fetch the missing range from the
daemon's store before going on. A heartbeat from a different daemon instance, or silence, means the
daemon restarted or went away: the feed reports it and resyncs when it is back.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import zmq
import zmq.asyncio
from pydantic import ValidationError

from contexten.client.connection import DaemonClient
from contexten.common.errors import ContextenError, DaemonUnreachable
from contexten.common.event_kinds import EventKind
from contexten.common.models import Event
from contexten.common.protocol import EVENT_TOPIC, HEARTBEAT_TOPIC, EventsSince, GetSnapshot, Heartbeat, Snapshot

HEARTBEAT_TIMEOUT = 3.0
RECONNECT_EVERY = 0.5


@dataclass(frozen=True)
class Connected:
    instance: str


@dataclass(frozen=True)
class Disconnected:
    reason: str
    # False while the daemon has never answered (none is running, or its socket is not ours): nothing was lost,
    # there is no last known state to show.
    was_connected: bool = True


FeedItem = Snapshot | Event | Connected | Disconnected


class _Resync(Exception):
    """The daemon we were following is gone or replaced."""


class Subscription:
    """A SUB socket on the daemon's event endpoint; create it before asking for the starting point."""

    def __init__(self, client: DaemonClient) -> None:
        self._client = client
        self._sock = self._connect()
        self.instance = ""

    def _connect(self) -> zmq.asyncio.Socket:
        sock = zmq.asyncio.Context.instance().socket(zmq.SUB)
        sock.setsockopt(zmq.LINGER, 0)
        sock.setsockopt(zmq.RCVHWM, 0)
        sock.setsockopt(zmq.SUBSCRIBE, b"")
        sock.connect(self._client.paths.events_endpoint)
        return sock

    def close(self) -> None:
        self._sock.close(linger=0)

    def reset(self) -> None:
        """A fresh subscription with nothing queued, before a full resync."""
        self._sock.close(linger=0)
        self._sock = self._connect()
        self.instance = ""

    async def events_after(self, last: int, heartbeat_timeout: float = HEARTBEAT_TIMEOUT) -> AsyncIterator[Event]:
        """Every event with seq > last, in order, forever. Raises _Resync if the daemon goes or changes."""
        while True:
            if not await self._sock.poll(timeout=int(heartbeat_timeout * 1000)):
                raise _Resync("no heartbeat from the daemon")
            topic, payload = await self._sock.recv_multipart()
            try:
                if topic == HEARTBEAT_TOPIC:
                    beat = Heartbeat.model_validate_json(payload)
                    if self.instance and beat.instance != self.instance:
                        raise _Resync("the daemon restarted")
                    self.instance = beat.instance
                    if beat.seq > last:
                        async for event in self._fill(last, beat.seq):
                            last = event.seq
                            yield event
                    continue
                if topic != EVENT_TOPIC:
                    continue
                event = Event.model_validate_json(payload)
            except ValidationError:
                continue  # not ours to understand; the seq check below catches anything we lost
            if event.seq <= last:
                continue
            if event.seq > last + 1:
                async for missing in self._fill(last, event.seq - 1):
                    last = missing.seq
                    yield missing
            if event.seq == last + 1:
                last = event.seq
                yield event
                if event.kind == EventKind.DAEMON_STOPPING:
                    raise _Resync("the daemon is shutting down")

    async def _fill(self, last: int, upto: int) -> AsyncIterator[Event]:
        """Fetch (last, upto] from the store."""
        while last < upto:
            page = await self._client.call(EventsSince(since=last, limit=min(5000, upto - last)))
            if not page.events:
                return
            for event in page.events:
                # A restore continues numbering above the old store; its marker event bridges the jump.
                if event.seq != last + 1 and event.kind != EventKind.STORE_RESTORED:
                    raise _Resync(f"the store has no event {last + 1}")
                last = event.seq
                yield event


async def follow(client: DaemonClient, since: int, run: int | None = None) -> AsyncIterator[Event]:
    """Events after `since` (optionally of one run), then live ones. Ends by raising DaemonUnreachable."""
    sub = Subscription(client)
    try:
        last = since
        try:
            async for event in sub.events_after(last):
                last = event.seq
                if run is None or event.run == run:
                    yield event
        except _Resync as exc:
            raise DaemonUnreachable(str(exc)) from None
    finally:
        sub.close()


async def console_feed(client: DaemonClient) -> AsyncIterator[FeedItem]:
    """Snapshot, then events; on loss, Disconnected, then a fresh Snapshot when the daemon is back."""
    sub = Subscription(client)
    connected = ever = False
    told = ""  # the reason last given while not connected: said once, not every retry
    try:
        while True:
            try:
                snapshot = await client.call(GetSnapshot(), timeout=2.0)
            except (DaemonUnreachable, ContextenError) as exc:
                if connected or str(exc) != told:
                    told = str(exc)
                    yield Disconnected(told, was_connected=ever)
                    connected = False
                await asyncio.sleep(RECONNECT_EVERY)
                continue
            told, ever = "", True
            sub.instance = snapshot.instance
            connected = True
            yield snapshot
            yield Connected(snapshot.instance)
            try:
                async for event in sub.events_after(snapshot.seq):
                    yield event
            except (_Resync, DaemonUnreachable) as exc:
                connected = False
                told = str(exc)
                yield Disconnected(told)
                sub.reset()
    finally:
        sub.close()
