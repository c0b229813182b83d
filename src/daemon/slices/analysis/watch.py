"""One file watcher for every watched project.

watchfiles runs each watcher on a thread of its own that wakes every `step` milliseconds; one per pinned
repository made twenty repositories cost 3% of a core doing nothing. Here one watcher covers every root
and wakes every STEP_MS; when the set of roots changes it is stopped and started again with the new set.
A change is handed to the project whose root holds it (the deepest one, for a repository inside another).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable

from watchfiles import BaseFilter, awatch

log = logging.getLogger(__name__)

# watchfiles' thread sleeps a step at a time and hands changes over after a step with none new: an edit is
# analysed 1-2 steps after its write. 50 ms keeps that short, for ~20 cheap wake-ups a second in one thread.
STEP_MS = 50
RESTART_SECONDS = 5.0  # after a failure that no root's absence explains

OnChange = Callable[[str, list[str]], Awaitable[None]]  # (project id, changed paths)
OnLost = Callable[[str, str], None]  # (project id, why its watch stopped)


class SharedWatch:
    def __init__(self, watch_filter: BaseFilter, debounce_ms: Callable[[], int], on_change: OnChange,
                 on_lost: OnLost) -> None:  # fmt: skip
        self._filter = watch_filter
        self._debounce_ms = debounce_ms
        self._on_change = on_change
        self._on_lost = on_lost
        self._roots: dict[str, str] = {}  # project id -> root
        self._task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()
        self.started = 0  # watchers started, for tests: one per change of the set, not one per project

    def watch(self, roots: dict[str, str]) -> None:
        """Watch exactly these roots; a call with the same set changes nothing while its watcher runs."""
        running = self._task is not None and not self._task.done()
        if roots == self._roots and (running or not roots):
            return
        self._roots = dict(roots)
        self._restart()

    def _restart(self) -> None:
        if self._task is not None:
            self._stop.set()
            self._task.cancel()
            self._task = None
        if self._roots:
            self._stop = asyncio.Event()
            self._task = asyncio.create_task(self._run(dict(self._roots), self._stop), name="analysis-watch")

    async def _run(self, roots: dict[str, str], stop: asyncio.Event) -> None:
        while not stop.is_set():
            gone = {p: r for p, r in roots.items() if not os.path.isdir(r)}
            for project, root in gone.items():
                self._on_lost(project, f"{root} is not a directory any more")
                del roots[project]
            if not roots:
                return
            self.started += 1
            try:
                async for changes in awatch(*roots.values(), watch_filter=self._filter, debounce=self._debounce_ms(),
                                            step=STEP_MS, stop_event=stop):  # fmt: skip
                    for project, paths in owners(roots, [path for _, path in changes]).items():
                        await self._on_change(project, paths)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # an inotify limit, a root that vanished: say so, keep the daemon
                if all(os.path.isdir(r) for r in roots.values()):
                    log.warning("the file watch stopped (%s); starting it again in %.0fs", exc, RESTART_SECONDS)
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), RESTART_SECONDS)

    async def close(self) -> None:
        task, self._task = self._task, None
        self._stop.set()
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task


def owners(roots: dict[str, str], paths: list[str]) -> dict[str, list[str]]:
    """The changed paths by the project that holds each one: the deepest root containing it."""
    ordered = sorted(roots.items(), key=lambda item: len(item[1]), reverse=True)
    out: dict[str, list[str]] = {}
    for path in paths:
        for project, root in ordered:
            if path == root or path.startswith(root.rstrip(os.sep) + os.sep):
                out.setdefault(project, []).append(path)
                break
    return out
