"""A whole tree's analysis: every file's facts, and what follows from them together. `to_json` is the
document `contexten analyze --json` prints and the daemon stores."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from contexten.analysis.dead_code import HIGH_CONFIDENCE
from contexten.analysis.graph import DependencyGraph
from contexten.analysis.model import DeadCode, DuplicateBlock, FileAnalysis, Function, Hotspot

COMPLEX_CCN = 10  # lizard's default warning threshold


@dataclass
class Report:
    root: str
    files: dict[str, FileAnalysis]
    graph: DependencyGraph = field(default_factory=DependencyGraph)
    dead_code: list[DeadCode] = field(default_factory=list)
    duplicates: list[DuplicateBlock] = field(default_factory=list)
    hotspots: list[Hotspot] = field(default_factory=list)

    def functions(self) -> Iterator[tuple[str, Function]]:
        for path, file in self.files.items():
            for function in file.functions:
                yield path, function

    def summary(self) -> dict[str, Any]:
        analysed = [f for f in self.files.values() if not f.skipped]
        ccns = [f.ccn for _, f in self.functions()]
        duplicated = sum((b.lines * (len(b.occurrences) - 1)) for b in self.duplicates)
        nloc = sum(f.nloc for f in analysed)
        return {
            "files": len(analysed),
            "skipped": len(self.files) - len(analysed),
            "functions": len(ccns),
            "nloc": nloc,
            "ccn_average": round(sum(ccns) / len(ccns), 2) if ccns else 0.0,
            "ccn_max": max(ccns, default=0),
            "complex_functions": sum(1 for c in ccns if c > COMPLEX_CCN),
            "dead_code": len(self.dead_code),
            "dead_code_high": sum(1 for d in self.dead_code if d.confidence >= HIGH_CONFIDENCE),
            "duplicate_blocks": len(self.duplicates),
            "duplicated_lines_percent": round(100 * duplicated / nloc, 2) if nloc else 0.0,
            "cycles": len(self.graph.cycles),
        }

    def to_json(self) -> dict[str, Any]:
        return {
            "root": self.root,
            "summary": self.summary(),
            "files": [
                {"path": p, "language": f.language, "lines": f.lines, "nloc": f.nloc, "functions": len(f.functions),
                 "classes": len(f.classes), "imports": len(f.imports), "skipped": f.skipped}
                for p, f in sorted(self.files.items())
            ],
            "functions": [
                {"file": p, "name": f.name, "kind": f.kind, "start_line": f.start_line, "end_line": f.end_line,
                 "ccn": f.ccn, "nloc": f.nloc}
                for p, f in sorted(self.functions(), key=lambda pf: (pf[0], pf[1].start_line))
            ],
            "dead_code": [asdict(d) for d in self.dead_code],
            "duplicates": [
                {"tokens": b.tokens, "lines": b.lines,
                 "occurrences": [{"file": f, "start_line": s, "end_line": e} for f, s, e in b.occurrences]}
                for b in self.duplicates
            ],
            "cycles": self.graph.cycles,
            "hotspots": [asdict(h) for h in self.hotspots],
            "dependencies": len(self.graph.edges),
        }  # fmt: skip
