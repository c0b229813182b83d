"""Imports as written, per language: the module named, the names bound, and whether the import runs when
the module loads (what counts for dependency cycles)."""

from __future__ import annotations

from collections.abc import Callable

import tree_sitter

from contexten.analysis.languages import LanguageSpec
from contexten.analysis.model import Import

Captures = dict[str, list[tree_sitter.Node]]


def node_text(node: tree_sitter.Node | None, data: bytes) -> str:
    return data[node.start_byte : node.end_byte].decode("utf-8", "replace") if node is not None else ""


def _unquote(text: str) -> str:
    return text.strip().strip("'\"`")


def _python_toplevel(node: tree_sitter.Node, data: bytes) -> bool:
    """Module level, and not under `if TYPE_CHECKING:` (those imports never run)."""
    up = node.parent
    while up is not None:
        if up.type in ("function_definition", "class_definition"):
            return False
        if up.type == "if_statement" and "TYPE_CHECKING" in node_text(up.child_by_field_name("condition"), data):
            return False
        up = up.parent
    return True


def _python(caps: Captures, data: bytes) -> list[Import]:
    found: list[Import] = []
    for node in caps.get("import", ()):
        line, toplevel = node.start_point.row + 1, _python_toplevel(node, data)
        if node.type == "import_statement":
            for child in node.named_children:
                if child.type == "aliased_import":
                    module = node_text(child.child_by_field_name("name"), data)
                    found.append(Import(module, [node_text(child.child_by_field_name("alias"), data)], line,
                                        toplevel=toplevel, imported=[module]))  # fmt: skip
                elif child.type == "dotted_name":
                    module = node_text(child, data)
                    found.append(Import(module, [module.split(".")[0]], line, toplevel=toplevel, imported=[module]))
            continue
        module_node = node.child_by_field_name("module_name")
        module, level = node_text(module_node, data), 0
        if module_node is not None and module_node.type == "relative_import":
            level = len(module) - len(module.lstrip("."))
            module = module[level:]
        if node.type == "future_import_statement":
            module = "__future__"
        names: list[str] = []
        imported: list[str] = []
        for child in node.children_by_field_name("name"):
            if child.type == "aliased_import":
                imported.append(node_text(child.child_by_field_name("name"), data))
                names.append(node_text(child.child_by_field_name("alias"), data))
            else:
                imported.append(node_text(child, data))
                names.append(imported[-1])
        if any(c.type == "wildcard_import" for c in node.children):
            names, imported = ["*"], ["*"]
        found.append(Import(module, names, line, level=level, toplevel=toplevel, imported=imported))
    return found


def _js_bindings(clause: tree_sitter.Node, data: bytes) -> tuple[list[str], list[str]]:
    names: list[str] = []
    imported: list[str] = []
    for child in clause.named_children:
        if child.type == "identifier":  # default import
            names.append(node_text(child, data))
            imported.append("default")
        elif child.type == "namespace_import":
            names += [node_text(c, data) for c in child.named_children]
            imported.append("*")
        elif child.type == "named_imports":
            for spec in child.named_children:
                if spec.type == "import_specifier":
                    name = spec.child_by_field_name("name")
                    alias = spec.child_by_field_name("alias")
                    imported.append(node_text(name, data))
                    names.append(node_text(alias or name, data))
    return names, imported


def _javascript(caps: Captures, data: bytes) -> list[Import]:
    found: list[Import] = []
    for node in caps.get("import", ()):
        source = node.child_by_field_name("source")
        if source is None:
            continue
        names: list[str] = []
        imported: list[str] = []
        for child in node.named_children:
            if child.type == "import_clause":
                names, imported = _js_bindings(child, data)
        found.append(Import(_unquote(node_text(source, data)), names, node.start_point.row + 1, imported=imported))
    for fn, source in zip(caps.get("import.call", ()), caps.get("import.source", ()), strict=False):
        if fn.type != "import" and node_text(fn, data) != "require":
            continue
        call = fn.parent
        binding = call.parent if call is not None else None
        names = []
        if binding is not None and binding.type == "variable_declarator":
            target = binding.child_by_field_name("name")
            if target is not None and target.type == "identifier":
                names = [node_text(target, data)]
        toplevel = fn.type != "import"  # a dynamic import() loads lazily, like a function-level import
        found.append(Import(_unquote(node_text(source, data)), names, fn.start_point.row + 1, toplevel=toplevel))
    return found


def _by_source(caps: Captures, data: bytes) -> list[Import]:
    """Go, Rust and Java: the module path as written; the bound name is its last part."""
    found: list[Import] = []
    for node in caps.get("import.source", ()):
        if node.parent is None or node.parent.type not in ("import_spec", "use_declaration", "import_declaration"):
            continue
        module = _unquote(node_text(node, data))
        spec = node.parent
        alias = spec.child_by_field_name("name") if spec.type == "import_spec" else None
        last = module.replace("::", ".").replace("/", ".").rstrip(".*{} ").split(".")[-1]
        found.append(Import(module, [node_text(alias, data) if alias is not None else last], node.start_point.row + 1))
    return found


_EXTRACTORS: dict[str, Callable[[Captures, bytes], list[Import]]] = {
    "python": _python,
    "javascript": _javascript,
    "typescript": _javascript,
    "tsx": _javascript,
}


def imports_of(spec: LanguageSpec, caps: Captures, data: bytes) -> list[Import]:
    return _EXTRACTORS.get(spec.name, _by_source)(caps, data)
