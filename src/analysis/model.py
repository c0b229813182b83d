"""What an analysis finds, per file and for a whole tree. Plain slotted dataclasses: they are built by the
hundred thousand, so they stay cheap, and they round-trip through JSON for the cache and the wire."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Function:
    name: str  # qualified: Class.method, outer.inner
    kind: str  # "function" or "method"
    start_line: int  # 1-based, inclusive
    end_line: int
    start_byte: int
    end_byte: int
    ccn: int
    nloc: int
    decorated: bool = False
    exported: bool = False  # JS/TS `export`, Go capitalised: visible outside the module
    calls: list[str] = field(default_factory=list)  # callee names, without receivers

    @property
    def short_name(self) -> str:
        return self.name.rsplit(".", 1)[-1]


@dataclass(slots=True)
class ClassDef:
    name: str
    start_line: int
    end_line: int
    decorated: bool = False
    exported: bool = False


@dataclass(slots=True)
class Import:
    module: str  # as written: "os.path", "./util", "github.com/x/y"
    names: list[str]  # bound names introduced in this file ("*" for a star import)
    line: int
    level: int = 0  # Python relative-import dots
    toplevel: bool = True  # module level and not under `if TYPE_CHECKING:` — what counts for cycles
    imported: list[str] = field(default_factory=list)  # the names taken from the module, before `as`


@dataclass(slots=True)
class FileAnalysis:
    path: str  # relative to the analysed root, with forward slashes
    language: str
    sha: str
    lines: int = 0
    nloc: int = 0
    functions: list[Function] = field(default_factory=list)
    classes: list[ClassDef] = field(default_factory=list)
    imports: list[Import] = field(default_factory=list)
    names: dict[str, int] = field(default_factory=dict)  # identifier -> occurrences in the file
    exports: list[str] | None = None  # Python `__all__`, when it is a literal list
    skipped: str | None = None  # why the file was not analysed (binary, too large, syntax error, ...)
    # For duplicate detection, per line: a CRC of the line's normalised token shape (0 when the line holds no
    # code) as array('I') bytes, and its token count as array('H') bytes. Binary, so the cache stays small.
    shapes: bytes = b""
    tokens: bytes = b""

    def to_dict(self) -> dict[str, Any]:
        """For the cache: functions, classes and imports as positional rows (dataclasses.asdict deep-copies
        every value, which made writing the cache cost more than the analysis)."""
        return {
            "path": self.path, "language": self.language, "sha": self.sha, "lines": self.lines, "nloc": self.nloc,
            "functions": [_row(f) for f in self.functions],
            "classes": [_row(c) for c in self.classes],
            "imports": [_row(i) for i in self.imports],
            "names": self.names, "exports": self.exports, "skipped": self.skipped,
        }  # fmt: skip

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> FileAnalysis:
        return cls(
            path=data["path"], language=data["language"], sha=data["sha"], lines=data["lines"], nloc=data["nloc"],
            functions=[Function(*row) for row in data["functions"]],
            classes=[ClassDef(*row) for row in data["classes"]],
            imports=[Import(*row) for row in data["imports"]],
            names=data["names"], exports=data["exports"], skipped=data["skipped"],
            shapes=data.get("shapes", b""), tokens=data.get("tokens", b""),
        )  # fmt: skip


def _row(item: Function | ClassDef | Import) -> list[Any]:
    return [getattr(item, name) for name in item.__slots__]


@dataclass(slots=True)
class DeadCode:
    file: str
    name: str
    kind: str  # "import", "function", "method", "class"
    line: int
    end_line: int
    confidence: int  # percent
    reason: str


@dataclass(slots=True)
class DuplicateBlock:
    tokens: int
    lines: int
    occurrences: list[tuple[str, int, int]]  # (file, start_line, end_line)


@dataclass(slots=True)
class Hotspot:
    file: str
    name: str
    ccn: int
    churn: int
    score: int


@dataclass(slots=True)
class Impacted:
    file: str
    name: str
    depth: int  # 0: changed itself; 1: calls or uses a changed symbol; ...
    via: str | None  # the symbol at depth-1 that brought it in
