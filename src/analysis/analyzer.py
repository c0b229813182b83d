"""Analysing a tree: find its files, take what the cache has, extract the rest (in worker processes when
there are many), then derive the cross-file findings. `update` re-reads only the files named, so a watch
can keep a report current for the price of the files that changed.

Bad input never stops an analysis: a file that cannot be read or parsed is recorded with its reason and
the rest goes on.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, replace

from contexten.analysis.cache import AnalysisCache
from contexten.analysis.churn import DEFAULT_WINDOW_DAYS, file_churn, hotspots
from contexten.analysis.dead_code import Candidate, definitions, find_dead_code
from contexten.analysis.duplicates import DEFAULT_MIN_LINES, DEFAULT_MIN_TOKENS, CodeLines, DuplicateIndex, code_lines
from contexten.analysis.extract import content_hash, extract
from contexten.analysis.graph import GraphBuilder
from contexten.analysis.languages import language_of
from contexten.analysis.model import DeadCode, FileAnalysis
from contexten.analysis.report import Report
from contexten.analysis.source import DEFAULT_MAX_BYTES, read_source
from contexten.analysis.walk import discover, git_ignored, included

# Below this many files to extract, worker start-up costs more than it saves.
POOL_THRESHOLD = 200


@dataclass(frozen=True)
class AnalysisSettings:
    max_file_bytes: int = DEFAULT_MAX_BYTES
    min_duplicate_tokens: int = DEFAULT_MIN_TOKENS
    min_duplicate_lines: int = DEFAULT_MIN_LINES
    churn_days: int = DEFAULT_WINDOW_DAYS
    exclude: tuple[str, ...] = ()
    workers: int = 0  # 0: one per CPU


def package_of(root: str) -> str:
    """The dotted package a directory is itself part of ('' when it holds no __init__.py)."""
    parts: list[str] = []
    directory = root
    while os.path.isfile(os.path.join(directory, "__init__.py")):
        parts.append(os.path.basename(directory))
        parent = os.path.dirname(directory)
        if parent == directory:
            break
        directory = parent
    return ".".join(reversed(parts))


def _lower_priority() -> None:
    """Workers yield to the daemon and the console: a cold analysis of a large tree must not make the
    machine someone is working on over SSH feel slow."""
    with contextlib.suppress(OSError):
        os.nice(5)


def _extract_one(item: tuple[str, bytes, str, int]) -> tuple[FileAnalysis, CodeLines | None]:
    """A file's facts, and its code lines for duplicate detection: computed here, so that with a worker
    pool this part of the cross-file work runs in parallel too."""
    path, data, sha, min_lines = item
    spec = language_of(path)
    assert spec is not None
    result = extract(spec, path, data, sha)
    return result, None if result.skipped else code_lines(result, min_lines)


class AnalysisCancelled(Exception):
    """Analyzer.cancel() was called while it worked."""


class Analyzer:
    def __init__(self, root: str, settings: AnalysisSettings | None = None, cache: AnalysisCache | None = None):
        self.root = os.path.abspath(root)
        self.settings = settings or AnalysisSettings()
        self.cache = cache
        self.files: dict[str, FileAnalysis] = {}
        self._names: Counter[str] = Counter()
        self._churn: Counter[str] = Counter()
        # Kept current file by file: a report after an edit costs that file's windows, not the tree's.
        self._duplicates = DuplicateIndex(self.settings.min_duplicate_tokens, self.settings.min_duplicate_lines)
        # Per-file derivations that depend on content alone, kept by (path, content hash) between reports.
        self._dead_memo: dict[tuple[str, str], tuple[list[DeadCode], list[Candidate]]] = {}
        self._defined: Counter[str] = Counter()
        self._package = package_of(self.root)
        self._graph = GraphBuilder(self._package)
        self.extracted = 0  # files parsed (not from the cache) by the last analyse() or update()
        self._cancelled = threading.Event()

    def analyse(self) -> Report:
        found = discover(self.root, self.settings.exclude)
        self.files, self._names, self._defined = {}, Counter(), Counter()
        for path, reason in found.problems:
            self._store(FileAnalysis(path, "", "", skipped=reason))
        self._load(found.files)
        current = {(p, f.sha) for p, f in self.files.items()}
        for gone in [p for p in self._duplicates.paths() if p not in self.files]:
            self._duplicates.remove(gone)
        self._dead_memo = {k: v for k, v in self._dead_memo.items() if k in current}
        self._churn = file_churn(self.root, self.settings.churn_days)
        return self.report()

    def update(self, paths: Iterable[str]) -> list[str]:
        """Re-analyse these files (absolute, or relative to the root); returns the ones whose facts changed.
        A path that no longer exists, or is no source file, leaves the analysis."""
        wanted: list[str] = []
        changed: list[str] = []
        for raw in paths:
            rel = os.path.relpath(os.path.abspath(os.path.join(self.root, raw)), self.root).replace(os.sep, "/")
            if rel.startswith("../") or not included(rel, self.settings.exclude):
                continue
            if not os.path.isfile(os.path.join(self.root, rel)):
                if self._forget(rel):
                    changed.append(rel)
                continue
            wanted.append(rel)
        # A new file git ignores (generated, a local scratch file) stays out, as the full analysis leaves it.
        ignored = git_ignored(self.root, [p for p in wanted if p not in self.files])
        wanted = [p for p in wanted if p not in ignored]
        before = {p: self.files[p].sha for p in wanted if p in self.files}
        self._load(wanted)
        changed += [p for p in wanted if before.get(p) != self.files[p].sha or p not in before]
        return sorted(set(changed))

    def report(self) -> Report:
        live = {p: f for p, f in self.files.items() if not f.skipped}
        graph = self._graph.build(live)
        return Report(
            root=self.root,
            files=dict(sorted(self.files.items())),
            graph=graph,
            dead_code=find_dead_code(live, graph, self._names, self._dead_memo, self._defined),
            duplicates=self._duplicates.blocks(),
            hotspots=hotspots(live, self._churn),
        )

    def _load(self, paths: list[str]) -> None:
        read: list[tuple[str, bytes, str]] = []
        for rel in paths:
            self._check()
            source = read_source(os.path.join(self.root, rel), self.settings.max_file_bytes)
            if source.data is None:
                spec = language_of(rel)
                self._store(FileAnalysis(rel, spec.name if spec else "", "", skipped=source.reason))
                continue
            read.append((rel, source.data, content_hash(source.data)))
        versions = {rel: language_of(rel).version for rel, _, _ in read}  # type: ignore[union-attr]
        cached = self.cache.get_many({(sha, versions[rel]) for rel, _, sha in read}) if self.cache else {}
        misses = [item for item in read if (item[2], versions[item[0]]) not in cached]
        for rel, _, sha in read:
            hit = cached.get((sha, versions[rel]))
            if hit is not None:
                # A copy per path: files with the same content (empty __init__.py files) share a cache row.
                self._store(replace(hit, path=rel))
        fresh = self._extract([(rel, data, sha, self.settings.min_duplicate_lines) for rel, data, sha in misses])
        self.extracted = len(fresh)
        for result, lines in fresh:
            self._store(result, lines)
        fresh_results = [result for result, _ in fresh]
        if self.cache is not None:
            self.cache.put_many((versions[a.path], a) for a in fresh_results)

    def cancel(self) -> None:
        """Stop an analysis running in another thread at the next file (it raises AnalysisCancelled): a
        daemon shutting down must not wait for a cold analysis of a large tree."""
        self._cancelled.set()

    def _check(self) -> None:
        if self._cancelled.is_set():
            raise AnalysisCancelled(f"analysis of {self.root} cancelled")

    def _extract(self, items: list[tuple[str, bytes, str, int]]) -> list[tuple[FileAnalysis, CodeLines | None]]:
        workers = self.settings.workers or os.cpu_count() or 1
        if workers == 1 or len(items) < POOL_THRESHOLD:
            done = []
            for item in items:
                self._check()
                done.append(_extract_one(item))
            return done
        # forkserver: the daemon has threads, and forking a threaded process can deadlock the child.
        context = multiprocessing.get_context("forkserver")
        pool = ProcessPoolExecutor(workers, mp_context=context, initializer=_lower_priority)
        try:
            results = []
            for result in pool.map(_extract_one, items, chunksize=max(1, len(items) // (workers * 8))):
                self._check()
                results.append(result)
            return results
        finally:
            pool.shutdown(wait=not self._cancelled.is_set(), cancel_futures=True)

    def _store(self, result: FileAnalysis, lines: CodeLines | None = None) -> None:
        self._forget(result.path, keep_lines=True)
        self.files[result.path] = result
        self._duplicates.put(result.path, result, lines)  # a no-op for the same content
        if not result.skipped:
            self._names.update(result.names)
            self._defined.update(definitions(result))

    def _forget(self, path: str, keep_lines: bool = False) -> bool:
        old = self.files.pop(path, None)
        if old is None:
            return False
        if not keep_lines:
            self._duplicates.remove(path)
        self._dead_memo.pop((path, old.sha), None)
        if not old.skipped:
            self._names.subtract(old.names)
            self._defined.subtract(definitions(old))
        return True
