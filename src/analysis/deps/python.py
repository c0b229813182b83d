"""Python manifests and lockfiles: requirements*.txt, pyproject.toml (PEP 621 and Poetry), uv.lock and
poetry.lock. Requirement strings are parsed by `packaging` (PEP 508), never by a regex of our own."""

from __future__ import annotations

from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement

from contexten.analysis.deps.model import PYPI, Dependency, read_text, read_toml

MAX_INCLUDES = 20  # `-r other.txt` chains followed


def requirements(root: Path, rel: str, seen: set[str] | None = None) -> list[Dependency]:
    seen = seen if seen is not None else set()
    if rel in seen or len(seen) >= MAX_INCLUDES:
        return []
    seen.add(rel)
    out: list[Dependency] = []
    text = read_text(root, rel)
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.split(" #", 1)[0].strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith(("-r ", "--requirement ")):
            include = str(Path(rel).parent / line.split(None, 1)[1].strip())
            if (root / include).is_file():
                out += requirements(root, include, seen)
            continue
        if line.startswith("-") or "://" in line or line.startswith((".", "/")):
            continue  # options, editable installs, URLs and paths name no registry version
        dep = _from_requirement(line, rel, number)
        if dep is not None:
            out.append(dep)
    return out


def pyproject(root: Path, rel: str) -> list[Dependency]:
    doc = read_toml(root, rel)
    text_lines = read_text(root, rel).splitlines()
    out: list[Dependency] = []
    project = doc.get("project", {})
    strings: list[str] = list(project.get("dependencies", []))
    for extra in project.get("optional-dependencies", {}).values():
        strings += list(extra)
    for group in doc.get("dependency-groups", {}).values():
        strings += [s for s in group if isinstance(s, str)]
    for s in strings:
        if isinstance(s, str):
            dep = _from_requirement(s, rel, _line_of(text_lines, s))
            if dep is not None:
                out.append(dep)
    poetry = doc.get("tool", {}).get("poetry", {})
    tables = [poetry.get("dependencies", {}), poetry.get("dev-dependencies", {})]
    tables += [g.get("dependencies", {}) for g in poetry.get("group", {}).values()]
    for table in tables:
        for name, value in table.items():
            if name.lower() == "python":
                continue
            spec = value if isinstance(value, str) else value.get("version", "") if isinstance(value, dict) else ""
            exact = spec if spec and spec[0].isdigit() and "*" not in spec else None
            out.append(Dependency(PYPI, name, exact, spec, rel, _key_line(text_lines, name)))
    return out


def locked(root: Path, rel: str) -> list[Dependency]:
    """uv.lock and poetry.lock share `[[package]] name, version`; a uv workspace member (a path source)
    is the project itself, not a dependency."""
    doc = read_toml(root, rel)
    out = []
    for package in doc.get("package", []):
        name, version = package.get("name"), package.get("version")
        source = package.get("source", {})
        if not isinstance(name, str) or not isinstance(version, str):
            continue
        if isinstance(source, dict) and ("editable" in source or "virtual" in source or "directory" in source):
            continue
        out.append(Dependency(PYPI, name, version, "", rel, direct=False))
    return out


def _from_requirement(text: str, rel: str, line: int | None) -> Dependency | None:
    try:
        req = Requirement(text)
    except InvalidRequirement:
        return None  # pip would refuse it too; the inventory is not the place to fail the build
    if req.url:
        return None
    specs = list(req.specifier)
    exact = specs[0].version if len(specs) == 1 and specs[0].operator in ("==", "===") else None
    if exact is not None and "*" in exact:
        exact = None
    return Dependency(PYPI, req.name, exact, str(req.specifier), rel, line)


def _line_of(lines: list[str], needle: str) -> int | None:
    head = needle.split(";")[0].strip()
    for i, line in enumerate(lines, 1):
        if head and head in line:
            return i
    return None


def _key_line(lines: list[str], key: str) -> int | None:
    """The line of a TOML table entry `key = ...`."""
    for i, line in enumerate(lines, 1):
        stripped = line.strip().strip('"')
        if stripped.startswith(key) and stripped[len(key) :].lstrip('"').lstrip().startswith("="):
            return i
    return None
