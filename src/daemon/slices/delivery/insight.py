"""What the Start Flow asks of the code analysis (the analysis slice's, given at construction): the
hotspots a refactoring flow is planned from, and the blast radius of a change it validates."""

from __future__ import annotations

from typing import Protocol

from contexten.analysis.model import Impacted
from contexten.common.analysis_view import HotspotItem
from contexten.common.models import Project

IMPACT_DEPTH = 2  # changed symbols, their callers and users, and theirs


class CodeInsight(Protocol):
    async def hotspots(self, project: Project, scope: str = "", limit: int = 3) -> list[HotspotItem]:
        """The worst hotspots (complexity x churn) of the project or a folder of it, worst first."""

    async def impact(self, project: Project, head: str, patches: list[tuple[str, str]], depth: int) -> list[Impacted]:
        """The symbols a change touches at `head`, then those that use them, up to `depth`."""
