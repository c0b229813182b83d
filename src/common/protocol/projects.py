"""Requests about pinned projects."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contexten.common.models import Project
from contexten.common.protocol.base import Request


class ListProjects(Request[list[Project]]):
    cmd: Literal["project.list"] = "project.list"


class PinProject(Request[Project]):
    cmd: Literal["project.pin"] = "project.pin"
    target: str = Field(min_length=1, max_length=4096)
    # An idempotency key: the same key sent again (a retry after a timeout) returns the first pin's project.
    key: str = Field(default="", max_length=200)


class UnpinProject(Request[Project]):
    cmd: Literal["project.unpin"] = "project.unpin"
    id: str = Field(min_length=1, max_length=200)
