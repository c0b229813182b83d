"""What other slices and flows may ask of the runs slice: controlling runs and reading them."""

from __future__ import annotations

from typing import Any, Protocol

from contexten.common.models import Run


class RunControl(Protocol):
    async def start(self, flow: str, project_id: str | None, params: dict[str, Any]) -> Run: ...

    async def retry(self, run_id: int) -> Run: ...

    async def wait(self, run_id: int, timeout: float) -> Run: ...

    async def resume_crashed(self, run_id: int) -> Run: ...

    @property
    def active_runs(self) -> list[int]: ...

    async def get(self, run_id: int) -> Run | None: ...

    async def recent(self, limit: int) -> list[Run]: ...
