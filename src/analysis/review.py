"""What a change does to the code, read from the analysis before and after it: the functions it made more
complex (or added complex), the duplicated blocks it brought in, the dead code it left, and the test files
that reach what it changed through the import graph. Pure: two reports and the changed lines in."""

from __future__ import annotations

from dataclasses import dataclass, field

from contexten.analysis.dead_code import HIGH_CONFIDENCE, is_test_file
from contexten.analysis.report import Report
from contexten.analysis.testruns.selection import reaching


@dataclass(frozen=True)
class ComplexityChange:
    file: str
    name: str
    line: int
    before: int | None  # None: a new function
    after: int

    @property
    def added(self) -> int:
        return self.after - (self.before or 0) if self.before is not None else self.after - 1


@dataclass(frozen=True)
class NewDuplicate:
    file: str
    line: int
    lines: int
    elsewhere: tuple[tuple[str, int], ...]  # the other copies


@dataclass(frozen=True)
class NewDeadCode:
    file: str
    name: str
    kind: str
    line: int
    reason: str


@dataclass
class ReviewDelta:
    complexity: list[ComplexityChange] = field(default_factory=list)
    duplicates: list[NewDuplicate] = field(default_factory=list)
    dead_code: list[NewDeadCode] = field(default_factory=list)
    tests: list[str] = field(default_factory=list)  # test files that reach the change

    @property
    def added_ccn(self) -> int:
        return sum(max(0, c.added) for c in self.complexity)


def review_delta(base: Report, head: Report, changed: dict[str, set[int]]) -> ReviewDelta:
    out = ReviewDelta()
    for path, lines in changed.items():
        after = head.files.get(path)
        if after is None:
            continue
        before = {f.name: f.ccn for f in base.files[path].functions} if path in base.files else {}
        for f in after.functions:
            touched = any(f.start_line <= n <= f.end_line for n in lines)
            was = before.get(f.name)
            if touched and (was is None or f.ccn > was) and f.ccn > 1:
                out.complexity.append(ComplexityChange(path, f.name, f.start_line, was, f.ccn))
    base_blocks = {frozenset((p, n) for p, n, _ in b.occurrences) for b in base.duplicates}
    for block in head.duplicates:
        for path, start, end in block.occurrences:
            lines = changed.get(path, set())
            if any(start <= n <= end for n in lines):
                others = tuple((p, s) for p, s, _ in block.occurrences if (p, s) != (path, start))
                if frozenset((p, s) for p, s, _ in block.occurrences) not in base_blocks:
                    out.duplicates.append(NewDuplicate(path, start, block.lines, others))
                break
    known = {(d.file, d.name, d.kind) for d in base.dead_code}
    fresh = [d for d in head.dead_code if d.file in changed and d.confidence >= HIGH_CONFIDENCE]
    out.dead_code = [NewDeadCode(d.file, d.name, d.kind, d.line, d.reason) for d in fresh
                     if (d.file, d.name, d.kind) not in known]  # fmt: skip
    out.tests = sorted(f for f in reaching(head.graph, changed) if is_test_file(f))
    out.complexity.sort(key=lambda c: -c.added)
    return out
