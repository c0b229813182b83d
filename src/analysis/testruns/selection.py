"""Which tests a change can reach: the changed files, then every file that imports one of them, and so
on (the analysis's import graph, read backwards); a test is selected when its file is among them. A change
to a file the analysis does not read (a fixture, a config, a conftest it cannot see into) may reach any
test, so then every test is selected: a selection must never skip a test the change can break."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass

from contexten.analysis.graph import DependencyGraph
from contexten.analysis.testruns.results import TestResult


@dataclass(frozen=True)
class Selection:
    selected: list[str]  # test ids
    reached: list[str]  # files the change reaches
    everything: str | None  # why every test is selected, when it is
    seconds_selected: float
    seconds_all: float

    @property
    def saved(self) -> float:
        return self.seconds_all - self.seconds_selected


def reaching(graph: DependencyGraph, changed: Iterable[str]) -> set[str]:
    seen = set(changed)
    queue = deque(seen)
    while queue:
        for importer in graph.importers.get(queue.popleft(), ()):
            if importer not in seen:
                seen.add(importer)
                queue.append(importer)
    return seen


def select(tests: list[TestResult], changed: list[str], graph: DependencyGraph, analysed: set[str]) -> Selection:
    total = sum(t.duration for t in tests)
    unread = sorted(f for f in changed if f not in analysed)
    if unread:
        ids = [t.id for t in tests]
        return Selection(ids, sorted(changed), f"{unread[0]} is not source the analysis reads", total, total)
    reached = reaching(graph, changed)
    # A Go test's file is its package directory: any reached file in it counts.
    dirs = {f.rsplit("/", 1)[0] if "/" in f else "." for f in reached}
    chosen = [t for t in tests if t.file is not None and (t.file in reached or t.file in dirs)]
    unknown = [t for t in tests if t.file is None]
    chosen += unknown  # a test whose file is unknown cannot be ruled out
    return Selection([t.id for t in chosen], sorted(reached), None, sum(t.duration for t in chosen), total)
