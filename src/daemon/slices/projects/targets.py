"""Pinning: turning what a user typed (a path or OWNER/REPO) into a project."""

from __future__ import annotations

import re
from pathlib import Path

from contexten.common.errors import CommandFailed
from contexten.common.models import Project, ProjectKind
from contexten.common.protocol import ErrorCode
from contexten.daemon.platform.git import git

_GITHUB_SLUG = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})/[A-Za-z0-9._-]{1,100}$")
_ID_CHARS = re.compile(r"[^a-z0-9._-]+")


async def git_toplevel(path: Path) -> Path | None:
    result = await git(str(path), "rev-parse", "--show-toplevel")
    return Path(result.out) if result.ok else None


async def resolve_target(target: str) -> tuple[ProjectKind, str, str]:
    """(kind, location, name) for a pin target, or CommandFailed naming what is wrong with it."""
    try:
        return await _resolve(target)
    except OSError as exc:  # a name too long for the file system, a folder we may not read
        raise CommandFailed(
            ErrorCode.INVALID_REQUEST, f"{target[:80]}: cannot use this path ({exc.strerror})"
        ) from None


async def _resolve(target: str) -> tuple[ProjectKind, str, str]:
    path = Path(target).expanduser()
    if path.is_absolute() or target.startswith(".") or path.exists():
        if not path.is_absolute():
            raise CommandFailed(ErrorCode.INVALID_REQUEST, f"{target}: give an absolute path (the CLI resolves them)")
        if not path.is_dir():
            raise CommandFailed(ErrorCode.NOT_FOUND, f"{target}: no such folder")
        top = await git_toplevel(path)
        if top is None:
            raise CommandFailed(ErrorCode.INVALID_REQUEST, f"{target}: not inside a git repository")
        return "local", str(top), top.name
    if _GITHUB_SLUG.match(target):
        repo = target.split("/", 1)[1]
        if repo in (".", "..") or repo.endswith(".git"):
            raise CommandFailed(ErrorCode.INVALID_REQUEST, f"{target!r}: {repo!r} is not a GitHub repository name")
        return "github", target, repo
    raise CommandFailed(
        ErrorCode.INVALID_REQUEST,
        f"{target!r} is neither a folder nor a GitHub repository written as OWNER/REPO",
    )


def project_id(name: str, taken: set[str]) -> str:
    base = _ID_CHARS.sub("-", name.lower()).strip("-._") or "project"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def new_project(kind: ProjectKind, location: str, name: str, taken: set[str], now: float) -> Project:
    return Project(id=project_id(name, taken), name=name, kind=kind, location=location, pinned_at=now)
