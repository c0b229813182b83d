"""Which files an analysis reads: what git tracks (and untracked files it does not ignore) inside a work
tree, or a plain walk elsewhere. The plain walk follows symlinks but never enters a directory twice, so a
symlink loop is reported instead of followed forever."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from fnmatch import fnmatch

from contexten.analysis.gitrun import run_git
from contexten.analysis.languages import language_of

# Never source: dependencies, build output, caches and virtual environments.
SKIP_DIRS = frozenset(
    {
        ".git", ".hg", ".svn", "node_modules", ".venv", "venv", "__pycache__", ".tox", ".nox", ".mypy_cache",
        ".pytest_cache", ".ruff_cache", "dist", "build", "target", ".next", "vendor",
    }
)  # fmt: skip


@dataclass
class Discovery:
    files: list[str] = field(default_factory=list)  # relative paths, forward slashes, sorted
    problems: list[tuple[str, str]] = field(default_factory=list)  # (relative path, reason)


def discover(root: str, excluded: tuple[str, ...] = ()) -> Discovery:
    found = _git_files(root)
    result = _walk(root) if found is None else Discovery(files=found)
    result.files = sorted(f for f in result.files if included(f, excluded))
    return result


def every_file(root: str) -> list[str]:
    """Every file of the tree, not only sources (what a secret scan reads), outside dependency and build
    folders."""
    found = _git_files(root)
    files = _walk(root).files if found is None else found
    return [f for f in files if not any(part in SKIP_DIRS for part in f.split("/")[:-1])]


def included(path: str, excluded: tuple[str, ...] = ()) -> bool:
    """Whether a relative path is a source file an analysis reads (a language we parse, outside dependency
    and build folders, not excluded by the user's globs)."""
    return (
        language_of(path) is not None
        and not any(part in SKIP_DIRS for part in path.split("/")[:-1])
        and not any(_matches(path, pattern) for pattern in excluded)
    )


def git_ignored(root: str, paths: list[str]) -> set[str]:
    """Which of these relative paths git ignores (none outside a work tree)."""
    if not paths:
        return set()
    result = run_git(root, "check-ignore", "-z", "--stdin", stdin="\0".join(paths).encode() + b"\0", timeout=30)
    # 0: some are ignored, 1: none are; anything else (not a work tree) means nothing is known to be ignored.
    if result is None or result[0] != 0:
        return set()
    return {p for p in result[1].split("\0") if p}


def _matches(path: str, pattern: str) -> bool:
    return fnmatch(path, pattern) or path.startswith(pattern.rstrip("/") + "/")


def _git_files(root: str) -> list[str] | None:
    result = run_git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
    files = sorted({p for p in result[1].split("\0") if p}) if result is not None and result[0] == 0 else []
    # Not a work tree, or one that ignores this directory (a checkout of tools holding a Python install):
    # walk it instead.
    return files or None


def _walk(root: str) -> Discovery:
    result = Discovery()
    seen: set[tuple[int, int]] = set()

    def visit(directory: str, relative: str) -> None:
        try:
            info = os.stat(directory)
        except OSError as exc:
            result.problems.append((relative or ".", f"unreadable: {exc.strerror}"))
            return
        if (info.st_dev, info.st_ino) in seen:
            result.problems.append((relative, "symlink loop (directory already visited)"))
            return
        seen.add((info.st_dev, info.st_ino))
        try:
            entries = sorted(os.scandir(directory), key=lambda e: e.name)
        except OSError as exc:
            result.problems.append((relative or ".", f"unreadable: {exc.strerror}"))
            return
        for entry in entries:
            rel = f"{relative}/{entry.name}" if relative else entry.name
            try:
                is_dir = entry.is_dir(follow_symlinks=True)
            except OSError:  # a dangling link or a loop of links
                is_dir = False
            if is_dir:
                if entry.name not in SKIP_DIRS:
                    visit(entry.path, rel)
            else:
                result.files.append(rel)

    visit(root, "")
    return result
