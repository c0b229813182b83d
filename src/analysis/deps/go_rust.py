"""Go modules (go.mod: the versions minimal version selection settled on; `// indirect` marks those only
others need) and Cargo (Cargo.toml asks, Cargo.lock pins; a lock entry without a registry source is a
workspace member or a path dependency)."""

from __future__ import annotations

from pathlib import Path

from contexten.analysis.deps.model import CRATES, GO, Dependency, read_text, read_toml


def go_mod(root: Path, rel: str) -> list[Dependency]:
    out = []
    block = False
    for number, raw in enumerate(read_text(root, rel).splitlines(), 1):
        line = raw.strip()
        if line.startswith("require ("):
            block = True
            continue
        if block and line == ")":
            block = False
            continue
        if line.startswith("require "):
            line = line[len("require ") :]
        elif not block:
            continue
        indirect = "// indirect" in line
        parts = line.split("//")[0].split()
        if len(parts) >= 2 and parts[1].startswith("v"):
            out.append(Dependency(GO, parts[0], parts[1], parts[1], rel, number, direct=not indirect))
    return out


def cargo_toml(root: Path, rel: str) -> list[Dependency]:
    text = read_text(root, rel)
    doc = read_toml(root, rel)
    lines = text.splitlines()
    out = []
    for section in ("dependencies", "dev-dependencies", "build-dependencies"):
        for name, value in (doc.get(section) or {}).items():
            spec = value if isinstance(value, str) else value.get("version", "") if isinstance(value, dict) else ""
            if not spec:
                continue  # a path or git dependency
            exact = spec[1:] if spec.startswith("=") else None
            line = next((i for i, t in enumerate(lines, 1) if t.strip().startswith(f"{name} ")
                         or t.strip().startswith(f"{name}=")), None)  # fmt: skip
            out.append(Dependency(CRATES, name, exact, spec, rel, line))
    return out


def cargo_lock(root: Path, rel: str) -> list[Dependency]:
    doc = read_toml(root, rel)
    return [Dependency(CRATES, p["name"], p["version"], "", rel, direct=False)
            for p in doc.get("package", []) if isinstance(p.get("name"), str) and isinstance(p.get("version"), str)
            and str(p.get("source", "")).startswith("registry+")]  # fmt: skip
