"""What the console shows of a project's code analysis, as the daemon sends it."""

from __future__ import annotations

from pydantic import ConfigDict, Field

from contexten.common.lazy_model import LazyModel


class _Model(LazyModel):
    model_config = ConfigDict(extra="ignore")


class FunctionMetric(_Model):
    file: str
    name: str
    start_line: int
    end_line: int
    ccn: int
    nloc: int


class DeadCodeItem(_Model):
    file: str
    name: str
    kind: str
    line: int
    confidence: int
    reason: str


class DuplicateItem(_Model):
    tokens: int
    lines: int
    occurrences: list[str]  # "file:start-end"


class HotspotItem(_Model):
    file: str
    name: str
    ccn: int
    churn: int
    score: int


class TrendPoint(_Model):
    at: float
    flow: str
    run: int | None = None
    summary: dict[str, float]


class AnalysisView(_Model):
    project: str
    root: str
    analysed_at: float | None = None
    summary: dict[str, float] = Field(default_factory=dict)
    functions: list[FunctionMetric] = Field(default_factory=list)  # the most complex first
    dead_code: list[DeadCodeItem] = Field(default_factory=list)
    duplicates: list[DuplicateItem] = Field(default_factory=list)
    cycles: list[list[str]] = Field(default_factory=list)
    hotspots: list[HotspotItem] = Field(default_factory=list)
    skipped: list[list[str]] = Field(default_factory=list)  # [file, reason]
    trend: list[TrendPoint] = Field(default_factory=list)  # stored reports, oldest first
