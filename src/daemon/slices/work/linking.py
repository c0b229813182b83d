"""Which issues a pull request belongs to, and what stage it is at.

A pull request names an issue the way Linear's own GitHub integration reads it: the identifier in the
branch name (`eng-123-fix-login`, `feature/ENG-123`), in the title ("ENG-123: fix login"), or after a
magic word in the body ("Fixes ENG-123", "Part of ENG-7"). Identifiers are matched only for the team keys
the tracker has, so `utf-8` or `sha-256` in a branch name never link to anything.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Literal

from contexten.common.models import PullRequest

Stage = Literal["draft", "opened", "review_requested", "merged", "closed"]
STAGES: tuple[Stage, ...] = ("draft", "opened", "review_requested", "merged", "closed")

_IDENTIFIER = re.compile(r"(?<![A-Za-z0-9])([A-Za-z][A-Za-z0-9]{0,9})-(\d{1,7})(?![0-9])")
_CLOSING = r"close[sd]?|closing|fix(?:e[sd])?|fixing|resolve[sd]?|resolving|complete[sd]?|completing"
_REFERENCING = r"part\s+of|ref(?:s|erences)?|related\s+to|contributes\s+to|towards"
_MAGIC = re.compile(
    rf"\b({_CLOSING}|{_REFERENCING})\b\s*:?\s*((?:[A-Za-z][A-Za-z0-9]{{0,9}}-\d+(?:\s*(?:,|and)\s*)?)+)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class Link:
    identifier: str  # upper-case: ENG-123
    source: Literal["branch", "title", "magic word"]
    closes: bool = True  # a referencing word ("Part of") links without moving the issue to done


def links_of(pr: PullRequest, teams: Collection[str]) -> list[Link]:
    """The issues a pull request names, first mention first; each once, strongest source winning."""
    keys = {t.upper() for t in teams}
    found: dict[str, Link] = {}

    def add(identifier: str, source: Literal["branch", "title", "magic word"], closes: bool = True) -> None:
        if identifier.split("-")[0] in keys and identifier not in found:
            found[identifier] = Link(identifier, source, closes)

    for match in _MAGIC.finditer(pr.body):
        closes = re.fullmatch(_CLOSING, match.group(1), re.IGNORECASE) is not None
        for ident in _identifiers(match.group(2)):
            add(ident, "magic word", closes)
    for ident in _identifiers(pr.head):
        add(ident, "branch")
    for ident in _identifiers(pr.title):
        add(ident, "title")
    return list(found.values())


def _identifiers(text: str) -> list[str]:
    return [f"{m.group(1).upper()}-{int(m.group(2))}" for m in _IDENTIFIER.finditer(text)]


def stage_of(pr: PullRequest) -> Stage:
    if pr.state == "merged":
        return "merged"
    if pr.state == "closed":
        return "closed"
    if pr.draft:
        return "draft"
    return "review_requested" if pr.requested_reviewers else "opened"
