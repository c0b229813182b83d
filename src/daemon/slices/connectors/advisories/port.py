"""What a vulnerability database answers: which advisories affect a package at a version, and each
advisory's full record (OSV's schema: id, aliases, summary, affected ranges, severity)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PackageQuery:
    ecosystem: str
    name: str
    version: str


@dataclass(frozen=True)
class AdvisoryRef:
    id: str
    modified: str


class Advisories(ABC):
    @abstractmethod
    async def affecting(self, queries: list[PackageQuery]) -> list[list[AdvisoryRef]]:
        """For each query, in order, the advisories that affect it."""

    @abstractmethod
    async def record(self, ref: AdvisoryRef) -> dict[str, Any]:
        """The advisory's full OSV record (a copy kept from before serves while `modified` is unchanged)."""
