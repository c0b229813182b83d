"""What an OSV record says about one locked dependency: how severe (the CVSS vector scored by `cvss`,
else the database's own word, e.g. GHSA's MODERATE), and the version that fixes it (the `fixed` event of
the ECOSYSTEM/SEMVER range the version falls in; GIT ranges name commits, not versions, and are skipped)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from cvss import CVSS3, CVSS4, CVSSError

from contexten.analysis.deps.model import Dependency, normalise
from contexten.analysis.deps.versions import AnyVersion, parse

_WORDS = {"low": "low", "moderate": "medium", "medium": "medium", "high": "high", "critical": "critical"}


@dataclass(frozen=True)
class Vulnerability:
    id: str
    aliases: tuple[str, ...]
    summary: str
    ecosystem: str
    package: str
    version: str
    fixed: str | None  # the first version without it; None when no release fixes it (yet)
    severity: str  # low / medium / high / critical, or "unknown"
    score: float | None  # CVSS base score when the record has a vector
    url: str
    source: str  # the lockfile or manifest the version came from


def vulnerability(record: dict[str, Any], dep: Dependency) -> Vulnerability:
    assert dep.version is not None
    severity, score = severity_of(record, dep)
    return Vulnerability(
        id=str(record.get("id")), aliases=tuple(str(a) for a in record.get("aliases") or []),
        summary=str(record.get("summary") or record.get("details") or "")[:300].split("\n")[0],
        ecosystem=dep.ecosystem, package=dep.name, version=dep.version, fixed=fixed_version(record, dep),
        severity=severity, score=score, url=f"https://osv.dev/vulnerability/{record.get('id')}",
        source=dep.source,
    )  # fmt: skip


def severity_of(record: dict[str, Any], dep: Dependency) -> tuple[str, float | None]:
    vectors = list(record.get("severity") or [])
    for entry in _affected(record, dep):
        vectors += entry.get("severity") or []
    best: float | None = None
    for v in vectors:
        score = _score(str(v.get("type", "")), str(v.get("score", ""))) if isinstance(v, dict) else None
        if score is not None and (best is None or score > best):
            best = score
    if best is not None:
        return _band(best), best
    words = [(record.get("database_specific") or {}).get("severity")]
    words += [(e.get("ecosystem_specific") or {}).get("severity") for e in _affected(record, dep)]
    for word in words:
        if isinstance(word, str) and word.lower() in _WORDS:
            return _WORDS[word.lower()], None
    return "unknown", None


def fixed_version(record: dict[str, Any], dep: Dependency) -> str | None:
    assert dep.version is not None
    current = parse(dep.ecosystem, dep.version)
    candidates: list[tuple[AnyVersion, str]] = []
    for entry in _affected(record, dep):
        for r in entry.get("ranges") or []:
            if r.get("type") not in ("ECOSYSTEM", "SEMVER"):
                continue
            introduced: AnyVersion | None = None
            for event in r.get("events") or []:
                if "introduced" in event:
                    introduced = parse(dep.ecosystem, str(event["introduced"])) if event["introduced"] != "0" else None
                elif "fixed" in event:
                    fixed = parse(dep.ecosystem, str(event["fixed"]))
                    if fixed is None or current is None:
                        continue
                    if (introduced is None or introduced <= current) and current < fixed:
                        return str(event["fixed"])  # the range the version falls in
                    if fixed > current:
                        candidates.append((fixed, str(event["fixed"])))
    return min(candidates)[1] if candidates else None


def _affected(record: dict[str, Any], dep: Dependency) -> list[dict[str, Any]]:
    name = normalise(dep.ecosystem, dep.name)
    return [a for a in record.get("affected") or [] if isinstance(a, dict)
            and (a.get("package") or {}).get("ecosystem") == dep.ecosystem
            and normalise(dep.ecosystem, str((a.get("package") or {}).get("name", ""))) == name]  # fmt: skip


def _score(kind: str, vector: str) -> float | None:
    try:
        if kind == "CVSS_V3" or vector.startswith("CVSS:3"):
            return float(CVSS3(vector).scores()[0])
        if kind == "CVSS_V4" or vector.startswith("CVSS:4"):
            return float(CVSS4(vector).base_score)
    except (CVSSError, ValueError, KeyError):
        return None
    return None


def _band(score: float) -> str:
    """CVSS's qualitative bands (v3.1 spec, table 14); 0.0 (none) reads as low."""
    return "critical" if score >= 9.0 else "high" if score >= 7.0 else "medium" if score >= 4.0 else "low"
