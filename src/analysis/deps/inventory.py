"""Every manifest and lockfile of a repository, read into one inventory: what the project asks for
(direct dependencies, with the version in use when a pin or a lock says it) and the whole locked set
(what a vulnerability audit checks)."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from contexten.analysis.deps import go_rust, node, python
from contexten.analysis.deps.model import Dependency, ManifestError

Reader = Callable[[Path, str], list[Dependency]]

MANIFESTS: dict[str, Reader] = {
    "pyproject.toml": python.pyproject,
    "package.json": node.package_json,
    "go.mod": go_rust.go_mod,
    "Cargo.toml": go_rust.cargo_toml,
}
LOCKFILES: dict[str, Reader] = {
    "uv.lock": python.locked,
    "poetry.lock": python.locked,
    "package-lock.json": node.package_lock,
    "Cargo.lock": go_rust.cargo_lock,
}
SKIP_DIRS = frozenset({".git", "node_modules", ".venv", "venv", "vendor", "target", "dist", "build", "__pycache__",
                       ".tox", ".mypy_cache", "site-packages"})  # fmt: skip
MAX_DEPTH = 4


@dataclass
class Inventory:
    direct: list[Dependency] = field(default_factory=list)
    locked: list[Dependency] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # files that could not be read, each named

    def audit_set(self) -> list[Dependency]:
        """Each (ecosystem, name, version) in use once: the locked set, and pins no lockfile covers."""
        seen: dict[tuple[str, str, str], Dependency] = {}
        for dep in [*self.locked, *self.direct]:
            if dep.version is not None:
                seen.setdefault((*dep.key, dep.version), dep)
        return list(seen.values())

    def in_use(self) -> list[Dependency]:
        """The direct dependencies, each with the version in use: its pin, else what the lockfile beside
        its manifest (or any lockfile) locked. Those with neither are left out: nothing says what runs."""
        locks: dict[tuple[str, str, str], str] = {}
        anywhere: dict[tuple[str, str], str] = {}
        for dep in self.locked:
            if dep.version is not None:
                locks[(os.path.dirname(dep.source), *dep.key)] = dep.version
                anywhere.setdefault(dep.key, dep.version)
        out = []
        for dep in self.direct:
            version = dep.version or locks.get((os.path.dirname(dep.source), *dep.key)) or anywhere.get(dep.key)
            if version is not None:
                out.append(replace(dep, version=version))
        return out


def read_inventory(root: Path) -> Inventory:
    inventory = Inventory()
    included: set[str] = set()  # requirements files already read through another's `-r`
    for rel in manifest_files(root):
        name = os.path.basename(rel)
        if rel in included:
            continue
        reader = MANIFESTS.get(name) or LOCKFILES.get(name)
        try:
            found = reader(root, rel) if reader is not None else python.requirements(root, rel, included)
        except ManifestError as exc:
            inventory.problems.append(str(exc))
            continue
        inventory.files.append(rel)
        (inventory.locked if name in LOCKFILES else inventory.direct).extend(found)
    return inventory


def manifest_files(root: Path) -> list[str]:
    out = []
    base = len(root.parts)
    for here, dirs, files in os.walk(root):
        depth = len(Path(here).parts) - base
        dirs[:] = sorted(d for d in dirs if d not in SKIP_DIRS and not d.startswith(".") and depth < MAX_DEPTH)
        for f in sorted(files):
            if f in MANIFESTS or f in LOCKFILES or is_requirements(f):
                out.append(os.path.relpath(os.path.join(here, f), root))
    return out


def is_requirements(name: str) -> bool:
    return name.endswith(".txt") and (name.startswith("requirements") or name in ("constraints.txt",))
