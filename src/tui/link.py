"""The console's port to the daemon: a feed of snapshots and events, and one generic call for every
request the protocol declares. The real adapter speaks ZeroMQ through contexten.client; tests hand the
app a fake that answers from fixed data, for deterministic snapshots."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import TypeVar

from contexten.client.connection import DaemonClient
from contexten.client.feed import FeedItem, console_feed
from contexten.common.paths import Paths
from contexten.common.protocol import Request

R = TypeVar("R")


class DaemonLink(ABC):
    @abstractmethod
    def feed(self) -> AsyncIterator[FeedItem]:
        """Snapshots, events in seq order, and connection changes, forever."""

    @abstractmethod
    async def call(self, request: Request[R]) -> R:
        """Send one request; its answer, of the type the request names."""

    async def close(self) -> None:
        return None


class ZmqDaemonLink(DaemonLink):
    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self._client = DaemonClient(paths, timeout=5.0)
        self._feed_client = DaemonClient(paths, timeout=2.0)

    def feed(self) -> AsyncIterator[FeedItem]:
        return console_feed(self._feed_client)

    async def call(self, request: Request[R]) -> R:
        return await self._client.call(request)

    async def close(self) -> None:
        await self._client.aclose()
        await self._feed_client.aclose()
