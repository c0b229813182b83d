"""One watcher for every watched project, on real folders: each change reaches the project that holds it
(the deepest root for a repository inside another), the same set of roots starts nothing new, and a root
that goes away is reported by project."""

from __future__ import annotations

import asyncio
from pathlib import Path

from watchfiles import DefaultFilter

from contexten.daemon.slices.analysis.watch import SharedWatch, owners


def test_a_path_belongs_to_the_deepest_root_that_holds_it() -> None:
    roots = {"outer": "/srv/mono", "inner": "/srv/mono/libs/core", "other": "/srv/monolith"}
    found = owners(roots, ["/srv/mono/a.py", "/srv/mono/libs/core/b.py", "/srv/monolith/c.py", "/elsewhere/d.py"])
    assert found == {"outer": ["/srv/mono/a.py"], "inner": ["/srv/mono/libs/core/b.py"],
                     "other": ["/srv/monolith/c.py"]}  # fmt: skip


async def test_one_watcher_serves_every_root_and_hands_each_change_to_its_project(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir()
    b.mkdir()
    watch, seen, lost = _watcher()
    try:
        watch.watch({"a": str(a), "b": str(b)})
        watch.watch({"a": str(a), "b": str(b)})  # the same set: nothing restarts
        # The watcher is ready once a change is seen: write until one arrives (its start is not announced).
        project, paths = await _first_change(seen, a / "one.py")
        assert (project, paths) == ("a", [str(a / "one.py")])
        assert watch.started == 1
        (b / "two.py").write_text("x = 2\n")
        paths = await asyncio.wait_for(_next_for(seen, "b"), 30)  # a's later writes may be seen first
        assert paths == [str(b / "two.py")]
        watch.watch({"b": str(b)})  # a unpinned: one new watcher for the rest
        (b / "three.py").write_text("x = 3\n")
        project, _ = await _first_change(seen, b / "three.py")
        assert project == "b" and watch.started == 2 and lost == []
    finally:
        await watch.close()


async def test_a_root_that_is_gone_is_reported_by_its_project_and_the_others_are_still_watched(tmp_path: Path) -> None:
    here = tmp_path / "here"
    here.mkdir()
    watch, seen, lost = _watcher()
    try:
        watch.watch({"gone": str(tmp_path / "gone"), "here": str(here)})
        project, _ = await _first_change(seen, here / "x.py")
        assert project == "here"
        assert lost == [("gone", f"{tmp_path / 'gone'} is not a directory any more")]
    finally:
        await watch.close()


def _watcher() -> tuple[SharedWatch, asyncio.Queue[tuple[str, list[str]]], list[tuple[str, str]]]:
    """A watch on real folders, what it saw changing by project, and the projects it lost with why."""
    seen: asyncio.Queue[tuple[str, list[str]]] = asyncio.Queue()
    lost: list[tuple[str, str]] = []

    async def on_change(project: str, paths: list[str]) -> None:
        await seen.put((project, paths))

    return SharedWatch(DefaultFilter(), lambda: 50, on_change, lambda p, why: lost.append((p, why))), seen, lost


async def _next_for(seen: asyncio.Queue[tuple[str, list[str]]], wanted: str) -> list[str]:
    while True:
        project, paths = await seen.get()
        if project == wanted:
            return paths


async def _first_change(seen: asyncio.Queue[tuple[str, list[str]]], path: Path) -> tuple[str, list[str]]:
    for n in range(100):
        path.write_text(f"x = {n}\n")
        try:
            return await asyncio.wait_for(seen.get(), 0.5)
        except TimeoutError:
            continue
    raise AssertionError(f"no change of {path} was seen")
