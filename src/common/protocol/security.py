"""Requests about a project's security: what `security_audit` has found."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from contexten.common.lazy_model import LazyModel
from contexten.common.protocol.base import Request


class SecurityFinding(LazyModel):
    project: str
    key: str  # the same finding in another audit has the same one
    kind: Literal["vulnerability", "secret", "code"]
    severity: str  # low, medium, high, critical
    title: str
    location: str
    state: Literal["open", "fixed"]
    issue: str | None = None  # the tracker issue filed for it
    first_seen: float
    last_seen: float
    detail: dict[str, Any] = Field(default_factory=dict)  # never a secret's value


class ListSecurityFindings(Request[list[SecurityFinding]]):
    """A project's security findings (all projects' without one), most severe first."""

    cmd: Literal["security.findings"] = "security.findings"
    project: str | None = None
    state: Literal["open", "fixed"] | None = "open"
    limit: int = Field(default=200, ge=1, le=1000)
