"""Requests about code analysis."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contexten.common.analysis_view import AnalysisView
from contexten.common.protocol.base import Request


class GetAnalysis(Request[AnalysisView]):
    cmd: Literal["analysis.get"] = "analysis.get"
    expensive = True
    project: str = Field(min_length=1, max_length=200)
    trend: int = Field(default=30, ge=0, le=1000)  # how many stored reports to include
