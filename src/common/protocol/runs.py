"""Requests about flows and their runs."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from contexten.common.models import FlowInfo, Run
from contexten.common.protocol.base import Ack, Request


class ListFlows(Request[list[FlowInfo]]):
    cmd: Literal["flow.list"] = "flow.list"


class StartRun(Request[Run]):
    cmd: Literal["run.start"] = "run.start"
    flow: str = Field(min_length=1, max_length=200)
    project: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    template: str | None = None  # named parameters to start from; `params` override them
    # An idempotency key: the same key sent again (a retry after a timeout) returns the first run.
    key: str = Field(default="", max_length=200)


class GetRun(Request[Run]):
    cmd: Literal["run.get"] = "run.get"
    id: int


class ListRuns(Request[list[Run]]):
    cmd: Literal["run.list"] = "run.list"
    expensive = True
    limit: int = Field(default=50, ge=1, le=1000)


class CancelRun(Request[Ack]):
    cmd: Literal["run.cancel"] = "run.cancel"
    id: int


class PauseRun(Request[Ack]):
    cmd: Literal["run.pause"] = "run.pause"
    id: int


class ResumeRun(Request[Ack]):
    cmd: Literal["run.resume"] = "run.resume"
    id: int


class RetryRun(Request[Run]):
    cmd: Literal["run.retry"] = "run.retry"
    id: int
