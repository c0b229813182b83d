"""Dead code candidates, each with a confidence, resolved across files through the import graph.

Names are matched as vulture matches them (a definition is used if its name is read anywhere), with the
import graph added on top: a module-level function or class whose name is read only in files that do not
import its module is still reported, with a low confidence (a different thing of the same name).

Confidence, in percent:
- 95 an import never read in its file (90 for a plain `import x`, which may be imported for its effects);
- 90 a private (underscore) module-level function or class read nowhere;
- 70 a public one read nowhere (it may be API used from outside the tree);
- 60 a method or nested function read nowhere (it may be called by a framework or through getattr);
- 50 an import unused in its file but read by a file importing that one (maybe a re-export);
- 40 a module-level name read only in files that do not import its module (unless one of them has an
  import that resolves to no file here and names the definition or its module: then it is assumed used).
Never reported: test files and test functions, dunder names, names in `__all__`, definitions under a
registering decorator or annotation (routes, fixtures, commands; `@dataclass`, `@property`, `@cache` and
the like register nothing, see `extract.PLAIN_DECORATORS`), framework hooks, `__init__` re-exports, and
JS/TS definitions imported by another file.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

from contexten.analysis.graph import DependencyGraph
from contexten.analysis.model import DeadCode, FileAnalysis

HIGH_CONFIDENCE = 90

_TEST_FILE = re.compile(r"(^|/)(tests?|__tests__|testing|spec)/|(^|/)test_[^/]*$|_test\.\w+$|\.(test|spec)\.\w+$|"
                        r"(^|/)conftest\.py$")  # fmt: skip
HOOK_NAMES = frozenset(
    [
        "setUp",
        "tearDown",
        "setUpClass",
        "tearDownClass",
        "setUpModule",
        "tearDownModule",
        "asyncSetUp",
        "asyncTearDown",
        "main",
        "run",
        "handle",
        "get",
        "post",
        "put",
        "patch",
        "delete",
        "head",
        "options",
        "dispatch",
        "save",
        "clean",
        "compose",
        "render",
        "on_mount",
        "on_load",
        "connectedCallback",
        "disconnectedCallback",
        "componentDidMount",
        "componentWillUnmount",
        "init",
        "String",
        "Error",
        "toString",
        "valueOf",
        "toJSON",
        "constructor",
        "default",
    ]
)
HOOK_PREFIXES = ("test", "visit_", "depart_", "do_", "pytest_", "action_", "watch_", "validate_", "compute_",
                 "on_", "handle_", "Test", "Benchmark", "Example", "Fuzz")  # fmt: skip


def is_test_file(path: str) -> bool:
    return bool(_TEST_FILE.search(path))


def _hook(name: str) -> bool:
    return name in HOOK_NAMES or name.startswith(HOOK_PREFIXES) or (name.startswith("__") and name.endswith("__"))


def _import_occurrences(file: FileAnalysis) -> Counter[str]:
    """How often each name is written inside the file's import statements themselves."""
    words: Counter[str] = Counter()
    for imp in file.imports:
        if file.language == "python":  # JS module specifiers are strings: blanked, never counted
            words.update(re.findall(r"[A-Za-z_]\w*", imp.module))
        for bound, taken in zip(imp.names, imp.imported or imp.names, strict=False):
            if taken not in ("default", "*") and taken != imp.module:
                words[taken] += 1
            if bound != taken and bound not in imp.module.split("."):
                words[bound] += 1
    return words


def unused_imports(file: FileAnalysis) -> list[DeadCode]:
    if file.path.endswith(("__init__.py", "__init__.pyi")) or file.language not in _WITH_IMPORTS:
        return []  # a package's __init__ imports to re-export
    exported = set(file.exports or ())
    written = _import_occurrences(file)
    found: list[DeadCode] = []
    for imp in file.imports:
        if imp.module == "__future__" or "*" in imp.names:
            continue
        for bound, taken in zip(imp.names, imp.imported or imp.names, strict=False):
            if not bound or bound in exported or file.names.get(bound, 0) > written[bound]:
                continue
            plain = file.language == "python" and taken == imp.module  # `import x`: maybe for its side effects
            source = imp.module if not imp.level else "." * imp.level + imp.module
            found.append(DeadCode(file.path, bound, "import", imp.line, imp.line, 90 if plain else 95,
                                  f"imported from {source} and never used"))  # fmt: skip
    return found


_WITH_IMPORTS = frozenset({"python", "javascript", "typescript", "tsx"})


Candidate = tuple[str, str, int, int, bool, int]  # name, kind, line, end line, exported (JS/TS), depth


def definitions(file: FileAnalysis) -> list[str]:
    """The names a file defines (functions, methods, classes), once per definition."""
    return [f.short_name for f in file.functions] + [c.name for c in file.classes]


def candidates(file: FileAnalysis) -> list[Candidate]:
    """Definitions that could be dead: all but the decorated, the exported by `__all__`, hooks, dunders and
    anonymous functions. A function of the file's content alone."""
    exported = set(file.exports or ())
    found = [
        (
            f.short_name,
            "method" if f.kind == "method" else "function",
            f.start_line,
            f.end_line,
            f.exported,
            f.name.count("."),
            f.decorated,
        )
        for f in file.functions
    ]
    found += [(c.name, "class", c.start_line, c.end_line, c.exported, 0, c.decorated) for c in file.classes]
    return [(name, kind, line, end, js, depth) for name, kind, line, end, js, depth, decorated in found
            if not decorated and name not in exported and not _hook(name) and name.isidentifier()]  # fmt: skip


Elsewhere = tuple[str, str, str, int, int]  # path, name, kind, line, end line


def find_dead_code(
    files: dict[str, FileAnalysis],
    graph: DependencyGraph,
    totals: Counter[str],
    memo: dict[tuple[str, str], tuple[list[DeadCode], list[Candidate]]] | None = None,
    defined: Counter[str] | None = None,
) -> list[DeadCode]:
    """`totals` is the sum of every file's name counts, `defined` of every file's definitions (both kept by
    the caller, who updates them per file); `memo` keeps each file's unused imports and candidates (functions
    of its content alone) by (path, content hash)."""
    memo = {} if memo is None else memo
    if defined is None:
        defined = Counter(name for file in files.values() for name in definitions(file))
    found: list[DeadCode] = []
    # Module-level names read elsewhere: are they read by an importer? Checked together after the loop.
    elsewhere: list[Elsewhere] = []
    for path, file in files.items():
        if file.skipped or is_test_file(path):
            continue
        derived = memo.get((path, file.sha))
        if derived is None:
            derived = memo[(path, file.sha)] = (unused_imports(file), candidates(file))
        imports, possible = derived
        found += _judge_imports(files, imports, graph.importers.get(path, set()))
        found += _judge_definitions(path, file, possible, graph, totals, defined, elsewhere)
    found += _judge_elsewhere(files, graph, elsewhere)
    return sorted(found, key=lambda d: (-d.confidence, d.file, d.line))


def _judge_imports(files: dict[str, FileAnalysis], imports: list[DeadCode], importers: set[str]) -> list[DeadCode]:
    judged = []
    for finding in imports:
        # `from json import dumps` read elsewhere as `module.dumps`: a re-export, not dead.
        via = sorted(r for r in importers if files[r].names.get(finding.name))
        if via:
            reason = f"unused here, but read by {via[0]}, which imports this file"
            finding = replace(finding, confidence=50, reason=reason)
        judged.append(finding)
    return judged


def _judge_definitions(
    path: str, file: FileAnalysis, possible: list[Candidate], graph: DependencyGraph, totals: Counter[str],
    defined: Counter[str], elsewhere: list[Elsewhere],
) -> list[DeadCode]:  # fmt: skip
    judged = []
    shared = bool(graph.importers.get(path)) and file.language in _WITH_IMPORTS - {"python"}
    for name, kind, line, end, exported_js, depth in possible:
        if exported_js and shared:
            continue  # a JS/TS export another file imports
        if totals.get(name, 0) - defined.get(name, 0) <= 0:
            confidence = 60 if kind == "method" or depth > 0 else 90 if name.startswith("_") else 70
            judged.append(DeadCode(path, name, kind, line, end, confidence, f"{name} is never read"))
        elif depth == 0 and kind != "method" and file.names.get(name, 0) <= 1:
            # Methods dispatch dynamically and a name read in its own file is used; the rest need the graph.
            elsewhere.append((path, name, kind, line, end))
    return judged


def _judge_elsewhere(
    files: dict[str, FileAnalysis], graph: DependencyGraph, elsewhere: list[Elsewhere]
) -> list[DeadCode]:
    wanted = {name for _, name, _, _, _ in elsewhere}
    readers: dict[str, set[str]] = {}
    for path, file in files.items():
        for name in wanted.intersection(file.names):
            readers.setdefault(name, set()).add(path)
    judged = []
    for path, name, kind, line, end in elsewhere:
        names = readers.get(name, set())
        if names & graph.importers.get(path, set()):
            continue
        # A reader whose unresolved import names this definition, or its module, probably means it.
        module = path.rsplit("/", 1)[-1].split(".")[0]
        if any(name in graph.unresolved.get(r, ()) or module in graph.unresolved.get(r, ()) for r in names):
            continue
        judged.append(DeadCode(path, name, kind, line, end, 40,
                               f"{name} is read only in files that do not import {path}"))  # fmt: skip
    return judged
