"""Requests about a project's CI: the failures `failure_analysis` has classified."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contexten.common.lazy_model import LazyModel
from contexten.common.protocol.base import Request


class CiFailure(LazyModel):
    project: str
    signature: str  # the same failure in another run has the same one
    kind: str  # test, build, lint, dependency, infrastructure, unknown
    title: str
    issue: str | None = None  # the tracker issue filed for it (none for a known flaky one)
    seen: int  # CI runs it failed
    flaky: bool  # a rerun of the same commit passed
    first_seen: float
    last_seen: float
    last_run: int  # the CI run (GitHub Actions run id; locally the check's)


class ListCiFailures(Request[list[CiFailure]]):
    """The distinct CI failures classified so far, most recently seen first."""

    cmd: Literal["ci.failures"] = "ci.failures"
    project: str | None = None
    limit: int = Field(default=100, ge=1, le=1000)
