"""npm: package.json (what is asked for) and package-lock.json (what is installed; lockfile versions 1,
2 and 3: v1 nests `dependencies`, v2/v3 list `packages` by their node_modules path)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from contexten.analysis.deps.model import NPM, Dependency, ManifestError

SECTIONS = ("dependencies", "devDependencies", "optionalDependencies", "peerDependencies")


def package_json(root: Path, rel: str) -> list[Dependency]:
    doc, lines = _json(root, rel)
    out = []
    for section in SECTIONS:
        table = doc.get(section) or {}
        if not isinstance(table, dict):
            raise ManifestError(rel, f"{section} is not an object")
        for name, spec in table.items():
            if not isinstance(spec, str):
                continue
            exact = spec if _is_exact(spec) else None
            out.append(Dependency(NPM, name, exact, spec, rel, _line_of(lines, name)))
    return out


def package_lock(root: Path, rel: str) -> list[Dependency]:
    doc, _ = _json(root, rel)
    out: list[Dependency] = []
    packages = doc.get("packages")
    if isinstance(packages, dict):
        for path, entry in packages.items():
            if not path or not isinstance(entry, dict) or entry.get("link"):
                continue  # "" is the project itself; links are workspace members
            name = entry.get("name") or path.rsplit("node_modules/", 1)[-1]
            version = entry.get("version")
            if isinstance(version, str) and isinstance(name, str):
                out.append(Dependency(NPM, name, version, "", rel, direct=False))
        return out
    _walk_v1(doc.get("dependencies") or {}, rel, out)
    return out


def _walk_v1(table: dict[str, Any], rel: str, out: list[Dependency]) -> None:
    for name, entry in table.items():
        if isinstance(entry, dict) and isinstance(entry.get("version"), str):
            out.append(Dependency(NPM, name, entry["version"], "", rel, direct=False))
            _walk_v1(entry.get("dependencies") or {}, rel, out)


def _is_exact(spec: str) -> bool:
    return bool(spec) and spec[0].isdigit() and all(c.isdigit() or c in ".-+" or c.isalpha() for c in spec) \
        and " " not in spec and "x" not in spec.split("-")[0]  # fmt: skip


def _line_of(lines: list[str], name: str) -> int | None:
    quoted = f'"{name}"'
    return next((i for i, line in enumerate(lines, 1) if line.strip().startswith(quoted)), None)


def _json(root: Path, rel: str) -> tuple[dict[str, Any], list[str]]:
    try:
        text = (root / rel).read_text(encoding="utf-8")
        doc = json.loads(text)
    except (OSError, UnicodeDecodeError) as exc:
        raise ManifestError(rel, f"cannot be read ({type(exc).__name__})") from None
    except ValueError as exc:
        raise ManifestError(rel, f"not valid JSON: {exc}") from None
    if not isinstance(doc, dict):
        raise ManifestError(rel, "is not a JSON object")
    return doc, text.splitlines()
