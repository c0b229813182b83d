"""The analysis slice: one analyzer per pinned local repository, kept current by a file watch, and the
stored reports behind the quality trend."""

from __future__ import annotations

from contexten.common.analysis_view import AnalysisView
from contexten.common.errors import CommandFailed
from contexten.common.protocol import ErrorCode, GetAnalysis
from contexten.daemon.platform.config import Config
from contexten.daemon.platform.lifecycle import Slice, handles
from contexten.daemon.platform.projects import PinnedProjects
from contexten.daemon.slices.analysis.service import CodeAnalysis, NotAnalysable


class AnalysisSlice(Slice):
    name = "analysis"
    config_sections = frozenset({"analysis", "projects"})

    def __init__(self, service: CodeAnalysis, pinned: PinnedProjects) -> None:
        super().__init__()
        self.service = service
        self._pinned = pinned

    async def start(self) -> None:
        self._pinned.subscribe(self._follow)
        self._follow()

    def _follow(self) -> None:
        self.service.follow(self._pinned.values())

    async def reconfigure(self, config: Config) -> None:
        self._follow()  # [analysis] watch may have been turned on or off

    async def close(self) -> None:
        await self.service.close()

    @handles(GetAnalysis)
    async def get(self, req: GetAnalysis) -> AnalysisView:
        project = self._pinned.get(req.project)
        if project is None:
            raise CommandFailed(ErrorCode.NOT_FOUND, f"no pinned project {req.project!r}")
        try:
            return await self.service.view(project, req.trend)
        except NotAnalysable as exc:
            raise CommandFailed(ErrorCode.INVALID_PARAMS, str(exc)) from None
