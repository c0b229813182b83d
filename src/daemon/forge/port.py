"""The forge port. Flows depend on this; GitHub and the local git forge are adapters behind it."""

from __future__ import annotations

from abc import ABC, abstractmethod

from contexten.common.models import Check, PullRequest


class Forge(ABC):
    name: str

    @abstractmethod
    async def default_branch(self) -> str: ...

    @abstractmethod
    async def pull_requests(self, state: str = "open") -> list[PullRequest]: ...

    @abstractmethod
    async def open_pull_request(self, head: str, title: str, body: str = "") -> PullRequest: ...

    @abstractmethod
    async def checks(self, number: int) -> list[Check]: ...

    @abstractmethod
    async def merge(self, number: int, require_checks: bool = True) -> PullRequest: ...

    @abstractmethod
    async def comment(self, number: int, body: str) -> None: ...
