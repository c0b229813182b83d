"""The daemon's shape, as code: layers app > slices > platform > common, slices that reach each other
only through declared ports, and no import cycles anywhere in the daemon.

A module's imports are read from its source (every import, at any depth, except those under
`if TYPE_CHECKING:`), so a lazy import inside a function counts as much as one at the top.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

SRC = Path(__file__).parents[2] / "src"
DAEMON = SRC / "daemon"
APP = ("contexten.daemon.app", "contexten.daemon.control")
# A slice may import from another slice only these modules: its ports and the types they speak in.
PORT_NAMES = ("ports", "port", "hub", "errors", "service")


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    name = "contexten." + ".".join(parts)
    return name.removesuffix(".__init__")


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), str(path))
    type_only: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            type_only.update(id(n) for child in node.body for n in ast.walk(child))
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # `from pkg import mod` imports pkg.mod when mod is a module
            for alias in node.names:
                found.add(f"{node.module}.{alias.name}")
    return found


def daemon_graph() -> dict[str, set[str]]:
    files = {module_name(f): f for f in DAEMON.rglob("*.py")}
    return {name: {m for m in imports_of(path) if m in files and m != name} for name, path in files.items()}


def layer_of(module: str) -> str:
    if module in APP:
        return "app"
    if module.startswith("contexten.daemon.flows"):
        return "flows"
    if module.startswith("contexten.daemon.slices."):
        return "slices"
    if module.startswith("contexten.daemon.platform"):
        return "platform"
    return "daemon"


def slice_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[3] if len(parts) > 3 and parts[2] == "slices" else None


def is_port(module: str) -> bool:
    return module.rsplit(".", 1)[-1] in PORT_NAMES


ORDER = {"platform": 0, "slices": 1, "flows": 2, "app": 3}


def violations(graph: dict[str, set[str]]) -> list[str]:
    out = []
    for module, deps in sorted(graph.items()):
        for dep in sorted(deps):
            a, b = layer_of(module), layer_of(dep)
            if a in ORDER and b in ORDER and ORDER[b] > ORDER[a]:
                out.append(f"{module} ({a}) imports {dep} ({b}): layers go app > flows > slices > platform")
            sa, sb = slice_of(module), slice_of(dep)
            if sa and sb and sa != sb and not is_port(dep):
                out.append(f"{module} reaches into slice {sb!r} ({dep}); use its port")
    return out


def cycles(graph: dict[str, set[str]]) -> str | None:
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:
        return " -> ".join(exc.args[1])
    return None


def test_layers_and_slices_keep_their_boundaries() -> None:
    assert violations(daemon_graph()) == []


def test_the_daemon_has_no_import_cycle() -> None:
    assert cycles(daemon_graph()) is None


def test_every_slice_is_a_folder_with_a_slice_module() -> None:
    slices = sorted(p.name for p in (DAEMON / "slices").iterdir() if p.is_dir() and not p.name.startswith("_"))
    assert "runs" in slices and "connectors" in slices
    lacking = [s for s in slices if not (DAEMON / "slices" / s / "slice.py").exists() and s != "notify"]
    assert lacking == []


def test_nothing_imports_the_composition_root() -> None:
    graph = daemon_graph()
    importers = sorted(m for m, deps in graph.items() if "contexten.daemon.app" in deps)
    assert importers == []


@pytest.mark.parametrize(
    ("graph", "expected"),
    [
        ({"contexten.daemon.platform.bus": {"contexten.daemon.slices.runs.runner"}}, "layers go"),
        ({"contexten.daemon.slices.work.items": {"contexten.daemon.slices.runs.runner"}}, "use its port"),
    ],
)
def test_the_checker_sees_a_violation(graph: dict[str, set[str]], expected: str) -> None:
    assert any(expected in v for v in violations(graph))


def test_the_checker_sees_a_cycle() -> None:
    found = cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}})
    assert found is not None and "a" in found and "c" in found


def test_type_checking_imports_are_not_runtime_edges(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from contexten.x import y\n"
        "def f():\n    from contexten.z import w\n"
    )
    found = imports_of(module)
    assert "contexten.z" in found and "contexten.x" not in found
