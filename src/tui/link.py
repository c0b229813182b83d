"""The console's port to the daemon. The real adapter speaks ZeroMQ through contexten.client; tests can
hand the app a fake that replays fixed data, for deterministic snapshots."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import AsyncIterator
from typing import Any

from contexten.client.connection import DaemonClient
from contexten.client.feed import FeedItem, console_feed
from contexten.common.analysis_view import AnalysisView
from contexten.common.models import Issue, Project, RecoveryRow, Run
from contexten.common.paths import Paths
from contexten.common.protocol import PullRequestView


class DaemonLink(ABC):
    @abstractmethod
    def feed(self) -> AsyncIterator[FeedItem]:
        """Snapshots, events in seq order, and connection changes, forever."""

    @abstractmethod
    async def pin(self, target: str) -> Project: ...

    @abstractmethod
    async def unpin(self, project_id: str) -> Project: ...

    @abstractmethod
    async def start_run(self, flow: str, project: str | None, params: dict[str, Any]) -> Run: ...

    @abstractmethod
    async def cancel_run(self, run_id: int) -> None: ...

    @abstractmethod
    async def pause_run(self, run_id: int) -> None: ...

    @abstractmethod
    async def resume_run(self, run_id: int) -> None: ...

    @abstractmethod
    async def retry_run(self, run_id: int) -> Run: ...

    @abstractmethod
    async def recovery_table(self) -> list[RecoveryRow]: ...

    @abstractmethod
    async def issues(self, project: str) -> list[Issue]: ...

    @abstractmethod
    async def pull_requests(self, project: str) -> list[PullRequestView]: ...

    @abstractmethod
    async def analysis(self, project: str) -> AnalysisView: ...

    async def close(self) -> None:
        return None


class ZmqDaemonLink(DaemonLink):
    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self._client = DaemonClient(paths, timeout=5.0)
        self._feed_client = DaemonClient(paths, timeout=2.0)

    def feed(self) -> AsyncIterator[FeedItem]:
        return console_feed(self._feed_client)

    async def pin(self, target: str) -> Project:
        return await self._client.pin(target)

    async def unpin(self, project_id: str) -> Project:
        return await self._client.unpin(project_id)

    async def start_run(self, flow: str, project: str | None, params: dict[str, Any]) -> Run:
        return await self._client.start_run(flow, project, params)

    async def cancel_run(self, run_id: int) -> None:
        await self._client.cancel_run(run_id)

    async def pause_run(self, run_id: int) -> None:
        await self._client.pause_run(run_id)

    async def resume_run(self, run_id: int) -> None:
        await self._client.resume_run(run_id)

    async def retry_run(self, run_id: int) -> Run:
        return await self._client.retry_run(run_id)

    async def recovery_table(self) -> list[RecoveryRow]:
        return await self._client.recovery_table()

    async def issues(self, project: str) -> list[Issue]:
        return await self._client.issues(project)

    async def pull_requests(self, project: str) -> list[PullRequestView]:
        return await self._client.pull_requests(project)

    async def analysis(self, project: str) -> AnalysisView:
        return await self._client.analysis(project)

    async def close(self) -> None:
        await self._client.aclose()
        await self._feed_client.aclose()
