"""Code analysis inside the daemon: one Analyzer per pinned local repository, a watch that re-analyses the
files that change and announces it with `analysis.updated`, and the stored reports that make the trend.

Analysis is CPU work: it runs in a thread (and, for a cold start on a large tree, in worker processes),
never on the event loop. One lock per project keeps a flow and the watch from analysing at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from watchfiles import Change, DefaultFilter

from contexten.analysis.analyzer import AnalysisCancelled, AnalysisSettings, Analyzer
from contexten.analysis.cache import AnalysisCache
from contexten.analysis.impact import blast_radius
from contexten.analysis.languages import language_of
from contexten.analysis.model import Impacted
from contexten.analysis.report import Report
from contexten.common.analysis_view import (
    AnalysisView,
    DeadCodeItem,
    DuplicateItem,
    FunctionMetric,
    HotspotItem,
    TrendPoint,
)
from contexten.common.event_kinds import EventKind
from contexten.common.models import Project
from contexten.daemon.platform.config import Config
from contexten.daemon.platform.eventlog import EventLog
from contexten.daemon.platform.failures import Failure, FailureClass
from contexten.daemon.platform.git import add_worktree, remove_worktree
from contexten.daemon.slices.analysis.store import ReportStore
from contexten.daemon.slices.analysis.watch import SharedWatch

log = logging.getLogger(__name__)

VIEW_ROWS = 500  # rows of each list sent to the console; the stored report keeps the same


class NotAnalysable(LookupError):
    """The project has no local work tree to read."""


class _SourceFilter(DefaultFilter):
    """watchfiles' default ignores (.git, caches, editors' swap files), and only languages we read."""

    def __call__(self, change: Change, path: str) -> bool:
        return super().__call__(change, path) and language_of(path) is not None


def settings_from(config: Config) -> AnalysisSettings:
    a = config.analysis
    return AnalysisSettings(max_file_bytes=a.max_file_bytes, min_duplicate_tokens=a.min_duplicate_tokens,
                            min_duplicate_lines=a.min_duplicate_lines, churn_days=a.churn_days,
                            exclude=tuple(a.exclude))  # fmt: skip


def view_of(project: str, report: Report, analysed_at: float | None, limit: int = VIEW_ROWS) -> AnalysisView:
    functions = sorted(report.functions(), key=lambda pf: (-pf[1].ccn, pf[0], pf[1].start_line))[:limit]
    return AnalysisView(
        project=project,
        root=report.root,
        analysed_at=analysed_at,
        summary=report.summary(),
        functions=[FunctionMetric(file=p, name=f.name, start_line=f.start_line, end_line=f.end_line, ccn=f.ccn,
                                  nloc=f.nloc) for p, f in functions],
        dead_code=[DeadCodeItem(file=d.file, name=d.name, kind=d.kind, line=d.line, confidence=d.confidence,
                                reason=d.reason) for d in report.dead_code[:limit]],
        duplicates=[DuplicateItem(tokens=b.tokens, lines=b.lines,
                                  occurrences=[f"{f}:{s}-{e}" for f, s, e in b.occurrences])
                    for b in report.duplicates[:limit]],
        cycles=report.graph.cycles[:limit],
        hotspots=[HotspotItem(**asdict(h)) for h in report.hotspots[:limit]],
        skipped=[[p, f.skipped] for p, f in report.files.items() if f.skipped][:limit],
    )  # fmt: skip


class CodeAnalysis:
    def __init__(self, events: EventLog, reports: ReportStore, cache_path: Path, config: Callable[[], Config]) -> None:
        self._events = events
        self._stored = reports
        self._config = config
        self._cache = AnalysisCache(str(cache_path))
        self._analyzers: dict[str, Analyzer] = {}
        self._reports: dict[str, tuple[Report, float]] = {}
        self._locks: dict[str, asyncio.Lock] = {}
        self._watched: dict[str, Project] = {}
        self._first: dict[str, asyncio.Task[None]] = {}  # each watched project's first analysis
        self._watch = SharedWatch(_SourceFilter(), lambda: int(self._config().analysis.debounce_seconds * 1000),
                                  self._changed_in, self._watch_lost)  # fmt: skip
        self._running: set[Analyzer] = set()

    def root_of(self, project: Project, scope: str = "") -> str:
        if project.kind != "local":
            raise NotAnalysable(f"project {project.id} is on GitHub with no local work tree; pin a clone to analyse it")
        root = Path(project.location)
        if scope:
            inside = (root / scope).resolve()
            if not inside.is_relative_to(root.resolve()) or not inside.is_dir():
                raise NotAnalysable(f"scope {scope!r} is not a directory inside {project.location}")
            return str(inside)
        return str(root)

    async def report(self, project: Project, scope: str = "", refresh: bool = False) -> Report:
        """The project's current report; a scope (a folder inside it) gets a fresh analysis of its own."""
        root = self.root_of(project, scope)
        settings = settings_from(self._config())
        if scope:
            return await self._run(Analyzer(root, settings, self._cache))
        async with self._lock(project.id):
            current = self._reports.get(project.id)
            if current is not None and not refresh:
                return current[0]
            analyzer = self._analyzers.get(project.id)
            if analyzer is None or analyzer.settings != settings:
                analyzer = self._analyzers[project.id] = Analyzer(root, settings, self._cache)
            report = await self._run(analyzer)
            self._reports[project.id] = (report, time.time())
            return report

    async def _run(self, analyzer: Analyzer) -> Report:
        """A full analysis in a thread, cancellable by close() so shutdown never waits for one."""
        self._running.add(analyzer)
        try:
            return await asyncio.to_thread(analyzer.analyse)
        except AnalysisCancelled:
            raise NotAnalysable("the daemon is shutting down") from None
        finally:
            self._running.discard(analyzer)

    async def hotspots(self, project: Project, scope: str = "", limit: int = 3) -> list[HotspotItem]:
        """The worst hotspots (complexity x churn) of the project or a folder of it, worst first."""
        # Fresh (the cache keeps it cheap): a plan must not come from a report the watch has not caught up on.
        report = await self.report(project, scope, refresh=True)
        found = [HotspotItem(**asdict(h)) for h in report.hotspots[:limit]]
        if scope:  # a scope's report names its files from the scope's folder; the project's paths are wanted
            for h in found:
                h.file = f"{scope.strip('/')}/{h.file}"
        return found

    async def view(self, project: Project, trend: int = 30) -> AnalysisView:
        report = await self.report(project)
        view = view_of(project.id, report, self._reports.get(project.id, (report, None))[1])
        view.trend = await self.trend(project.id, trend)
        return view

    async def trend(self, project: str, limit: int = 30) -> list[TrendPoint]:
        rows = await self._stored.summaries(project, limit)
        return [TrendPoint(at=at, flow=flow, run=run, summary=json.loads(summary)) for at, flow, run, summary in rows]

    async def impact(self, project: Project, head: str, patches: list[tuple[str, str]], depth: int) -> list[Impacted]:
        """The blast radius of a change: `patches` are (path, unified diff or bare hunks) against the base,
        and the code is read as it is at `head`, in a worktree of its own (the cache makes that cheap)."""
        return (await self.report_at(project, head, patches, depth))[1]

    async def report_at(self, project: Project, ref: str, patches: list[tuple[str, str]] | None = None,
                        depth: int = 0) -> tuple[Report, list[Impacted]]:  # fmt: skip
        """The analysis of the code as it is at `ref` (a branch, a commit), read in a worktree of its own,
        and, given patches against it, their blast radius there."""
        root = self.root_of(project)
        workdir = tempfile.mkdtemp(prefix="cx-impact-")
        try:
            added = await add_worktree(root, "--detach", workdir, ref)
            if not added.ok:
                # Not "not analysable": the check could not be done, and must not read as a success.
                raise Failure(f"analysis: cannot check out {ref}: {added.err}", FailureClass.CONFLICT)
            report = await self._run(Analyzer(workdir, settings_from(self._config()), self._cache))
            if not patches:
                return report, []
            diff = "".join(f"--- a/{path}\n+++ b/{path}\n{patch}\n" for path, patch in patches)
            impacted = await asyncio.to_thread(blast_radius, report.files, report.graph, workdir, diff, depth)
            return report, impacted
        finally:
            await remove_worktree(root, workdir)
            shutil.rmtree(workdir, ignore_errors=True)

    def store(self, project: str, run: int | None, flow: str, scope: str, report: Report) -> int:
        """Keep a report (for the trend) and announce it, in one transaction."""
        summary = report.summary()
        document = view_of(project, report, time.time(), limit=200).model_dump(mode="json")
        row = ("INSERT INTO analysis_reports (project, run, flow, scope, created_at, summary, report) "
               "VALUES (?, ?, ?, ?, ?, ?, ?)",
               (project, run, flow, scope, time.time(), json.dumps(summary), json.dumps(document)))  # fmt: skip
        return self._events.emit(EventKind.ANALYSIS_REPORT, {"flow": flow, "scope": scope, "summary": summary},
                                 run=run, project=project, writes=[row])  # fmt: skip

    def follow(self, projects: Iterable[Project]) -> None:
        """Watch every pinned local project (when [analysis] watch is on); stop watching the rest."""
        projects = list(projects)
        wanted = {p.id: p for p in projects if p.kind == "local"} if self._config().analysis.watch else {}
        for project_id in [p for p in self._first if p not in wanted]:
            self._first.pop(project_id).cancel()
        pinned = {p.id for p in projects}
        for project_id in [p for p in self._analyzers if p not in pinned]:
            del self._analyzers[project_id]  # unpinned: its per-file state goes too (the cache stays)
            self._reports.pop(project_id, None)
        new = [p for p in wanted.values() if p.id not in self._watched]
        self._watched = wanted
        # Watching starts before the first analysis: a change made while it runs waits for the project's
        # lock and is analysed after it, never lost between the two.
        self._watch.watch({p.id: p.location for p in wanted.values()})
        for project in new:
            self._first[project.id] = asyncio.create_task(self._first_report(project),
                                                          name=f"analysis-first-{project.id}")  # fmt: skip

    async def _first_report(self, project: Project) -> None:
        try:
            report = await self.report(project)  # the first full analysis, so the console's view is ready
            self._events.emit(EventKind.ANALYSIS_WATCHING, {"root": report.root, "summary": report.summary()},
                              project=project.id)  # fmt: skip
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._watch_lost(project.id, str(exc))
        finally:
            self._first.pop(project.id, None)

    async def _changed_in(self, project_id: str, paths: list[str]) -> None:
        project = self._watched.get(project_id)
        if project is not None:
            await self.changed(project, paths)

    def _watch_lost(self, project_id: str, why: str) -> None:
        log.warning("analysis watch of %s stopped: %s", project_id, why)
        self._events.emit(EventKind.ALERT, {"source": "analysis", "message": f"watch stopped: {why}",
                                            "resolved": False}, project=project_id)  # fmt: skip

    async def changed(self, project: Project, paths: list[str]) -> list[str]:
        """Re-analyse these files of a project; announce what changed with `analysis.updated`."""
        async with self._lock(project.id):
            analyzer = self._analyzers.get(project.id)
            if analyzer is None:
                return []
            started = time.perf_counter()

            def work() -> tuple[list[str], Report | None]:
                changed = analyzer.update(paths)
                return changed, analyzer.report() if changed else None

            changed, report = await asyncio.to_thread(work)
            if report is None:
                return []
            self._reports[project.id] = (report, time.time())
            elapsed = round((time.perf_counter() - started) * 1000, 1)
            data: dict[str, Any] = {"files": changed[:50], "changed": len(changed), "summary": report.summary(),
                                    "elapsed_ms": elapsed,
                                    "skipped": {p: report.files[p].skipped for p in changed
                                                if p in report.files and report.files[p].skipped}}  # fmt: skip
            self._events.emit(EventKind.ANALYSIS_UPDATED, data, project=project.id)
            return changed

    def _lock(self, project: str) -> asyncio.Lock:
        return self._locks.setdefault(project, asyncio.Lock())

    async def close(self) -> None:
        for analyzer in self._running:
            analyzer.cancel()
        await self._watch.close()
        first = list(self._first.values())
        for task in first:
            task.cancel()
        for task in first:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        self._cache.close()
