"""What a package registry answers: the versions a package has published (yanked ones left out)."""

from __future__ import annotations

from abc import ABC, abstractmethod


class Registry(ABC):
    ecosystem: str

    @abstractmethod
    async def versions(self, name: str) -> list[str] | None:
        """Every published, not yanked version; None when the registry does not know the package."""
