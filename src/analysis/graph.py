"""The module dependency graph: imports resolved to files, and the cycles in it.

Python: a file's module name comes from walking up directories that hold an `__init__.py` (so
`pkg/sub/mod.py` is `pkg.sub.mod`, whatever the root), with the path from the root as a second name for
namespace packages; absolute imports try the longest module first (`from a.b import c` may mean the
submodule `a.b.c`), relative ones count their dots from the file's package.
JavaScript/TypeScript: relative specifiers resolve against the file's directory, trying the name as
written, then each extension, then an `index` file (and `./x.js` written for a `x.ts` source). Bare
specifiers are packages outside the tree and are not edges.
Only imports that run when the module loads are edges (not function-level ones, nor `if TYPE_CHECKING:`).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from contexten.analysis.model import FileAnalysis

JS_LANGUAGES = frozenset({"javascript", "typescript", "tsx"})
JS_EXTENSIONS = (".ts", ".tsx", ".d.ts", ".js", ".jsx", ".mjs", ".cjs", ".mts", ".cts")


@dataclass
class Edge:
    source: str
    target: str
    line: int
    names: list[str]  # what the importer takes from the target ("*" for everything, [] for the module)


@dataclass
class DependencyGraph:
    edges: list[Edge] = field(default_factory=list)
    importers: dict[str, set[str]] = field(default_factory=dict)  # target -> files importing it (any import)
    # Per file, the words of its imports that resolved to no file here (module parts and names): a module
    # installed elsewhere, or this tree under a layout we cannot see (a package-dir mapping, a src root).
    unresolved: dict[str, set[str]] = field(default_factory=dict)
    cycles: list[list[str]] = field(default_factory=list)


def python_module_names(paths: Iterable[str], prefix: str = "") -> tuple[dict[str, str], dict[str, str]]:
    """Dotted module name -> file for every Python file, and each file's own (package-chain) name. `prefix`
    is the package the analysed root itself is in (`concurrent` when analysing `concurrent/`), so imports
    written from the top (`concurrent.futures._base`) still resolve when only a sub-package is analysed."""
    paths = [p for p in paths if p.endswith((".py", ".pyi"))]
    packages = {posixpath.dirname(p) for p in paths if posixpath.basename(p) in ("__init__.py", "__init__.pyi")}
    names: dict[str, str] = {}
    canonical: dict[str, str] = {}
    for path in sorted(paths, key=lambda p: p.endswith(".pyi")):  # a .py wins over its stub
        stem = path.rsplit(".", 1)[0]
        parts = stem.split("/")
        if parts[-1] == "__init__":
            parts = parts[:-1]
        directory = posixpath.dirname(path)
        top = len(directory.split("/")) if directory else 0
        # The package chain: stop at the first directory without __init__.py.
        while top > 0 and "/".join(stem.split("/")[:top]) in packages:
            top -= 1
        own = ".".join(parts[top:])
        if top == 0 and prefix:
            own = f"{prefix}.{own}" if own else prefix
        canonical[path] = own
        for dotted in (own, ".".join(parts), ".".join(parts[top:])):
            if dotted:
                names.setdefault(dotted, path)
    return names, canonical


def _python_target(file: FileAnalysis, module: str, level: int, imported: list[str],
                   modules: dict[str, str], canonical: dict[str, str]) -> list[tuple[str, list[str]]]:  # fmt: skip
    if level:
        package = canonical.get(file.path, "").split(".")
        if not file.path.endswith(("__init__.py", "__init__.pyi")):
            package = package[:-1]
        base = package[: len(package) - (level - 1)] if level > 1 else package
        if level - 1 > len(package):
            return []
        module = ".".join([*base, module] if module else base)
    found: list[tuple[str, list[str]]] = []
    # `from pkg import sub` imports the submodule when there is one; other names come from pkg itself.
    rest: list[str] = []
    for name in imported:
        sub = modules.get(f"{module}.{name}" if module else name)
        if sub is not None and name != "*":
            found.append((sub, []))
        else:
            rest.append(name)
    # The module itself, exactly: falling back to a parent package that happens to exist here would draw an
    # edge Python never follows (`contexten.analysis.x` is not `contexten/__init__.py` when the tree maps
    # its packages elsewhere); such an import is unresolved instead.
    target = modules.get(module) if module else None
    if target is not None and (rest or not imported):
        found.append((target, rest))
    return found


def _js_target(file: FileAnalysis, spec: str, present: AbstractSet[str]) -> str | None:
    if not spec.startswith("."):
        return None
    base = posixpath.normpath(posixpath.join(posixpath.dirname(file.path), spec))
    candidates = [base]
    stem, dot, ext = base.rpartition(".")
    if dot and ext in ("js", "jsx", "mjs", "cjs"):
        candidates += [stem + e for e in (".ts", ".tsx", ".mts", ".cts")]
    candidates += [base + e for e in JS_EXTENSIONS] + [f"{base}/index{e}" for e in JS_EXTENSIONS]
    return next((c for c in candidates if c in present), None)


def build_graph(files: dict[str, FileAnalysis], prefix: str = "") -> DependencyGraph:
    return GraphBuilder(prefix).build(files)


@dataclass
class _Resolved:
    """One file's imports, resolved: a function of its content and of which files exist."""

    edges: list[Edge]
    unresolved: set[str]
    runtime: set[str]


class GraphBuilder:
    """Builds the graph again after an edit for the price of the edited files: module names are kept while
    the set of files stays the same, and each file's resolved imports while its content does too."""

    def __init__(self, prefix: str = "") -> None:
        self.prefix = prefix
        self._paths: frozenset[str] = frozenset()
        self._modules: dict[str, str] = {}
        self._canonical: dict[str, str] = {}
        self._resolved: dict[str, tuple[str, _Resolved]] = {}  # path -> (content hash, its imports)

    def build(self, files: dict[str, FileAnalysis]) -> DependencyGraph:
        paths = frozenset(p for p, f in files.items() if not f.skipped)
        if paths != self._paths:
            self._paths = paths
            self._modules, self._canonical = python_module_names(paths, self.prefix)
            self._resolved = {}
        graph = DependencyGraph()
        runtime: dict[str, set[str]] = {}
        for path, file in files.items():
            if file.skipped:
                continue
            held = self._resolved.get(path)
            if held is None or held[0] != file.sha:
                held = self._resolved[path] = (file.sha, self._resolve(file))
            resolved = held[1]
            graph.edges += resolved.edges
            for edge in resolved.edges:
                graph.importers.setdefault(edge.target, set()).add(path)
            if resolved.unresolved:
                graph.unresolved[path] = set(resolved.unresolved)
            if resolved.runtime:
                runtime[path] = resolved.runtime
        graph.cycles = find_cycles(runtime)
        return graph

    def _resolve(self, file: FileAnalysis) -> _Resolved:
        path = file.path
        out = _Resolved([], set(), set())
        for imp in file.imports:
            if file.language == "python":
                targets = _python_target(file, imp.module, imp.level, imp.imported, self._modules, self._canonical)
            elif file.language in JS_LANGUAGES:
                target = _js_target(file, imp.module, self._paths)
                targets = [(target, imp.imported or ["*"])] if target else []
            else:
                targets = []
            if not targets and (file.language == "python" or imp.module.startswith(".")):
                out.unresolved |= {*imp.module.replace("/", ".").split("."), *imp.imported, *imp.names} - {
                    "", "*", "default"}  # fmt: skip
            for target, names in targets:
                if target == path:
                    continue
                out.edges.append(Edge(path, target, imp.line, names))
                if imp.toplevel:
                    out.runtime.add(target)
        return out


def find_cycles(adjacency: dict[str, set[str]]) -> list[list[str]]:
    """Each strongly connected component of more than one file, as one concrete cycle through it that starts
    at its first file (iterative Tarjan: deep import chains must not hit the recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for start in sorted(adjacency):
        if start in index:
            continue
        work = [(start, iter(sorted(adjacency.get(start, ()))))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(adjacency.get(child, ())))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    components.append(_cycle_through(sorted(component), adjacency))
    return sorted(components)


def _cycle_through(members: list[str], adjacency: dict[str, set[str]]) -> list[str]:
    """A shortest path from the first member back to itself, inside the component (breadth first)."""
    inside = set(members)
    first = members[0]
    previous: dict[str, str] = {}
    frontier = [first]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(adjacency.get(node, ())):
                if child not in inside:
                    continue
                if child == first:
                    path = [node]
                    while path[-1] != first:
                        path.append(previous[path[-1]])
                    return [first, *reversed(path[:-1])] if len(path) > 1 else [first, node]
                if child not in previous:
                    previous[child] = node
                    following.append(child)
        frontier = following
    return members
