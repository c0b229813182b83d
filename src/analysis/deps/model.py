"""What one dependency is, wherever it was read from."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# Ecosystem names as OSV spells them (they are case-sensitive there).
PYPI = "PyPI"
NPM = "npm"
GO = "Go"
CRATES = "crates.io"


@dataclass(frozen=True)
class Dependency:
    ecosystem: str
    name: str
    version: str | None  # the locked or exactly pinned version; None when only a range is declared
    spec: str  # what the manifest asks for ("^4.17.0", ">=2.0", "==2.31.0"); "" for a locked-only package
    source: str  # the file it was read from, relative to the repository
    line: int | None = None  # 1-based, where the manifest names it (what an update edits)
    direct: bool = True  # named by a manifest, not only pulled in by another package

    @property
    def key(self) -> tuple[str, str]:
        return self.ecosystem, normalise(self.ecosystem, self.name)


def normalise(ecosystem: str, name: str) -> str:
    """PyPI names compare as PEP 503 says (case, `-`, `_` and `.` alike); the others as written."""
    if ecosystem == PYPI:
        out = name.lower().replace("_", "-").replace(".", "-")
        while "--" in out:
            out = out.replace("--", "-")
        return out
    return name


class ManifestError(ValueError):
    """A manifest or lockfile that cannot be read; names the file and what is wrong."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(f"{path}: {problem}")
        self.path = path


def read_text(root: Path, rel: str) -> str:
    try:
        return (root / rel).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(rel, f"cannot be read ({type(exc).__name__})") from None


def read_toml(root: Path, rel: str) -> dict[str, Any]:
    try:
        return tomllib.loads(read_text(root, rel))
    except tomllib.TOMLDecodeError as exc:
        raise ManifestError(rel, f"not valid TOML: {exc}") from None
