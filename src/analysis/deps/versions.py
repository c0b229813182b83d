"""Version order per ecosystem, and how big a step from one version to another is.

PyPI versions follow PEP 440 (`packaging`); npm, Go and crates.io follow SemVer 2.0 (a leading `v` is
dropped, missing minor/patch read as 0, a pre-release sorts before its release). The step is SemVer's:
a change of the first non-zero component is breaking (`0.4 -> 0.5` is major, as `^0.4` forbids it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import total_ordering
from typing import Literal

from packaging.version import InvalidVersion, Version

from contexten.analysis.deps.model import PYPI

Step = Literal["patch", "minor", "major"]
STEPS: tuple[Step, ...] = ("patch", "minor", "major")

_SEMVER = re.compile(r"^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$")


@total_ordering
@dataclass(frozen=True)
class SemVer:
    release: tuple[int, int, int]
    pre: tuple[int | str, ...]

    @property
    def is_prerelease(self) -> bool:
        return bool(self.pre)

    def _key(self) -> tuple[tuple[int, int, int], int, tuple[tuple[int, int | str], ...]]:
        # No pre-release sorts after any pre-release; numeric identifiers sort before alphanumeric ones.
        return self.release, 0 if self.pre else 1, tuple((0, p) if isinstance(p, int) else (1, p) for p in self.pre)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, SemVer):
            return NotImplemented
        return self._key() < other._key()


AnyVersion = Version | SemVer


def parse(ecosystem: str, text: str) -> AnyVersion | None:
    """The version, or None when it is not one this ecosystem's order knows (a git hash, a tag)."""
    if ecosystem == PYPI:
        try:
            return Version(text)
        except InvalidVersion:
            return None
    m = _SEMVER.match(text.strip())
    if m is None:
        return None
    pre = tuple(int(p) if p.isdigit() else p for p in (m.group(4) or "").split(".") if p)
    return SemVer((int(m.group(1)), int(m.group(2) or 0), int(m.group(3) or 0)), pre)


def release_of(v: AnyVersion) -> tuple[int, int, int]:
    if isinstance(v, SemVer):
        return v.release
    parts = (*v.release, 0, 0)
    return parts[0], parts[1], parts[2]


def is_prerelease(v: AnyVersion) -> bool:
    return v.is_prerelease or (isinstance(v, Version) and v.is_devrelease)


def step(current: AnyVersion, newer: AnyVersion) -> Step:
    a, b = release_of(current), release_of(newer)
    if a[0] != b[0] or (a[0] == 0 and a[1] != b[1]):
        return "major"
    if a[1] != b[1]:
        return "minor"
    return "patch"


def newest_by_step(ecosystem: str, current: str, available: list[str]) -> dict[Step, str]:
    """For each step, the newest stable version reachable by at most that step (`minor` includes patches):
    only steps that would change something are present."""
    now = parse(ecosystem, current)
    if now is None:
        return {}
    out: dict[Step, tuple[AnyVersion, str]] = {}
    for text in available:
        v = parse(ecosystem, text)
        if v is None or is_prerelease(v) or not v > now:
            continue
        size = step(now, v)
        for s in STEPS[STEPS.index(size) :]:
            if s not in out or v > out[s][0]:
                out[s] = (v, text)
    return {s: text for s, (_, text) in out.items()}
