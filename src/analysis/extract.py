"""One file's facts from one tree-sitter query: functions (qualified names, spans, CCN, NLOC, call sites),
classes, imports, name counts, `__all__`, and the per-line token shapes duplicate detection uses.

Everything is captured by the language's query in C; Python then walks only the captures, once, in
document order, assigning each to the innermost function around it. No per-node tree walk: that is what
keeps the analysis close to raw parse speed.
"""

from __future__ import annotations

import hashlib
import re
import zlib
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from functools import cache
from itertools import accumulate
from typing import Any

import tree_sitter

from contexten.analysis.imports import imports_of, node_text
from contexten.analysis.languages import LanguageSpec, parser_for
from contexten.analysis.model import ClassDef, FileAnalysis, Function

_ALL_NAMES = re.compile(r"""['"]([A-Za-z_][A-Za-z0-9_]*)['"]""")
_GO_RECEIVER = re.compile(r"\*?\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:\[[^\]]*\])?\s*\)\s*$")


def content_hash(data: bytes) -> str:
    return hashlib.blake2b(data, digest_size=16).hexdigest()


def first_error_line(root: tree_sitter.Node) -> int:
    """The line of the first ERROR or MISSING node, descending only where errors are."""
    node = root
    while True:
        for child in node.children:
            if child.is_error or child.is_missing:
                return child.start_point.row + 1
            if child.has_error:
                node = child
                break
        else:
            return node.start_point.row + 1


def extract(spec: LanguageSpec, path: str, data: bytes, sha: str | None = None) -> FileAnalysis:
    sha = sha or content_hash(data)
    tree = parser_for(spec).parse(data)
    root = tree.root_node
    lines = data.count(b"\n") + (0 if data.endswith(b"\n") or not data else 1)
    if root.has_error:
        return FileAnalysis(path, spec.name, sha, lines=lines,
                            skipped=f"syntax error at line {first_error_line(root)}")  # fmt: skip
    caps = tree_sitter.QueryCursor(spec.compiled).captures(root)
    # One copy of the text with comments blanked (for NLOC), then with string contents blanked as well (for
    # names and token shapes). Blanking keeps every byte offset and line where it was.
    text = bytearray(data)
    _blank(text, caps.get("comment", ()))
    prefix = [0, *accumulate(map(bool, map(bytes.strip, bytes(text).split(b"\n"))))]
    _blank(text, caps.get("blank", ()))
    code = bytes(text)
    result = FileAnalysis(path, spec.name, sha, lines=lines, nloc=prefix[-1])
    result.classes = [_class(spec, node, data) for node in caps.get("class", ())]
    detached: dict[int, int] = {}
    result.functions = _functions(spec, caps.get("function", ()), caps.get("class", ()), data, prefix, detached)
    _attribute(result.functions, caps, data, detached)
    result.names = names_in(spec, code)
    result.imports = sorted(imports_of(spec, caps, data), key=lambda i: i.line)
    result.exports = _exports(caps, data) if spec.name == "python" else None
    # Import blocks look alike once names are normalised; they are not duplicated logic.
    _blank(text, caps.get("import", ()))
    result.shapes, result.tokens = token_shapes(spec, bytes(text))
    return result


def _blank(text: bytearray, nodes: Sequence[tree_sitter.Node]) -> None:
    for node in nodes:
        start, end = node.start_byte, node.end_byte
        segment = text[start:end]
        # Newlines stay, so line numbers and NLOC hold; everything else becomes a space.
        text[start:end] = segment.translate(_TO_SPACE) if b"\n" in segment else b" " * (end - start)


_TO_SPACE = bytes(b if b == 10 else 32 for b in range(256))
_WORD = re.compile(rb"\b[A-Za-z_][A-Za-z0-9_]*")
# A name or a number not just after a keyword marker (\x01): a "value" in a token shape.
_VALUE = re.compile(rb"(?<![\x01A-Za-z0-9_])(?:[A-Za-z_][A-Za-z0-9_]*|[0-9][A-Za-z0-9_.]*)")
_SPACE = b" \t\r\x0b\x0c"
_WORD_BYTES = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_"


def names_in(spec: LanguageSpec, code: bytes) -> dict[str, int]:
    """Names read or written in code (comments and strings already blanked), with counts; keywords excluded."""
    counts = Counter(_WORD.findall(code))
    keywords = spec.keywords
    return {k.decode(): v for k, v in counts.items() if k.decode() not in keywords}


def _trie(words: Iterable[str]) -> str:
    """A regular expression matching exactly these words, factored by common prefix: `re` tries an
    alternation branch by branch, so shared prefixes make the keyword pass about a third faster."""
    tree: dict[str, Any] = {}
    for word in words:
        node = tree
        for ch in word:
            node = node.setdefault(ch, {})
        node[""] = {}

    def emit(node: dict[str, Any]) -> str:
        branches = [re.escape(ch) + emit(node[ch]) for ch in sorted(k for k in node if k)]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 and "" not in node else "(?:" + "|".join(branches) + ")"
        return body + ("?" if "" in node else "")

    return emit(tree)


@cache
def _keyword_pattern(spec: LanguageSpec) -> re.Pattern[bytes]:
    # Zero-width, with a constant replacement: re's fast path, no template expanded per match.
    return re.compile(rb"\b(?=" + _trie(spec.keywords).encode() + rb"\b)")


def token_shapes(spec: LanguageSpec, code: bytes) -> tuple[bytes, bytes]:
    """Per line, a CRC of its token shape — names and numbers become one value symbol, keywords and
    punctuation stay, string contents and whitespace go — and how many tokens it has. Renamed copies of a
    block share a shape. Three passes in C: mark keywords, replace values, then translate."""
    shaped = _VALUE.sub(b"\x02", _keyword_pattern(spec).sub(b"\x01", code))
    compact = shaped.translate(None, _SPACE)
    shapes = array("I", map(zlib.crc32, compact.split(b"\n")))
    # What is left once keyword letters go is one byte per token: \x01 a keyword, \x02 a value, punctuation.
    counts = array("H", map(len, compact.translate(None, _WORD_BYTES).split(b"\n")))
    return shapes.tobytes(), counts.tobytes()


# Decorators and annotations that change a definition without registering it anywhere: a definition
# carrying only these is still dead if nothing reads it (a decorated route or fixture is an entry point).
PLAIN_DECORATORS = frozenset({
    "dataclass", "property", "setter", "getter", "deleter", "staticmethod", "classmethod", "cache",
    "lru_cache", "cached_property", "wraps", "abstractmethod", "override", "overload", "final",
    "contextmanager", "asynccontextmanager", "total_ordering", "unique", "runtime_checkable",
    "Override", "Deprecated", "SuppressWarnings", "SafeVarargs", "FunctionalInterface",
})  # fmt: skip


def _decorated(node: tree_sitter.Node) -> bool:
    """Whether a registering decorator or annotation sits on the definition (see PLAIN_DECORATORS)."""
    parent = node.parent
    marks = []
    if parent is not None and parent.type == "decorated_definition":  # Python: decorators wrap the definition
        marks = [c for c in parent.children if c.type == "decorator"]
    for child in node.children:  # Java annotations and TypeScript decorators sit inside the node
        if child.type == "decorator":
            marks.append(child)
        elif child.type == "modifiers":
            marks += [m for m in child.children if m.type.endswith("annotation")]
    return any(_decorator_name(mark) not in PLAIN_DECORATORS for mark in marks)


def _decorator_name(mark: tree_sitter.Node) -> str:
    """`@functools.lru_cache(maxsize=2)` -> `lru_cache`; `@name.setter` -> `setter`."""
    text = (mark.text or b"").decode("utf-8", "replace").lstrip("@").split("(", 1)[0].strip()
    return text.rsplit(".", 1)[-1]


def _exported(spec: LanguageSpec, node: tree_sitter.Node, name: str) -> bool:
    if spec.name == "go":
        return name[:1].isupper()
    if spec.name in ("rust", "java"):
        for child in node.children:
            if child.type == "visibility_modifier" or (child.type == "modifiers" and b"public" in (child.text or b"")):
                return True
        return False
    if spec.name in ("javascript", "typescript", "tsx"):
        up = node.parent
        for _ in range(3):  # export function f / export const f = () => / export default class
            if up is None:
                return False
            if up.type == "export_statement":
                return True
            up = up.parent
    return False


def _js_function_name(node: tree_sitter.Node, data: bytes) -> str:
    """Anonymous JS functions take the name they are bound to, as lizard names them."""
    parent = node.parent
    if parent is not None:
        if parent.type == "variable_declarator":
            return node_text(parent.child_by_field_name("name"), data)
        if parent.type == "assignment_expression":
            return node_text(parent.child_by_field_name("left"), data).rsplit(".", 1)[-1]
        if parent.type == "pair":
            return node_text(parent.child_by_field_name("key"), data).strip("'\"")
        if parent.type in ("public_field_definition", "field_definition"):
            return node_text(parent.child_by_field_name("name") or parent.child_by_field_name("property"), data)
    return "(anonymous)"


def _name_of(spec: LanguageSpec, node: tree_sitter.Node, data: bytes) -> str:
    name = node.child_by_field_name("name")
    if name is not None:
        return node_text(name, data)
    if spec.name in ("javascript", "typescript", "tsx"):
        return _js_function_name(node, data)
    if spec.name == "rust" and node.type == "impl_item":
        return node_text(node.child_by_field_name("type"), data)
    return "(anonymous)"


def _class(spec: LanguageSpec, node: tree_sitter.Node, data: bytes) -> ClassDef:
    name = _name_of(spec, node, data)
    return ClassDef(
        name, node.start_point.row + 1, node.end_point.row + 1, _decorated(node), _exported(spec, node, name)
    )


def _functions(
    spec: LanguageSpec,
    nodes: Sequence[tree_sitter.Node],
    classes: Sequence[tree_sitter.Node],
    data: bytes,
    prefix: list[int],
    detached: dict[int, int] | None = None,
) -> list[Function]:
    """Functions with qualified names and spans. `detached` collects, by start byte, the arrow functions
    whose expression body begins on a later line than their `=>`: lizard ends such an arrow at that line
    break, so the body's conditions count for the function around it (and so do they here)."""
    # Containers (classes, impl blocks, enclosing functions) qualify names: Class.method, outer.inner.
    scopes = sorted(
        [(n.start_byte, n.end_byte, n, True) for n in nodes] + [(n.start_byte, n.end_byte, n, False) for n in classes],
        key=lambda s: (s[0], -s[1]),
    )
    stack: list[tuple[int, str, bool]] = []  # (end_byte, qualified name, is a function)
    functions: list[Function] = []
    for start, end, node, is_function in scopes:
        while stack and stack[-1][0] <= start:
            stack.pop()
        name = _name_of(spec, node, data)
        if spec.name == "go" and node.type == "method_declaration":
            receiver = _GO_RECEIVER.search(node_text(node.child_by_field_name("receiver"), data))
            name = f"{receiver.group(1)}.{name}" if receiver else name
        elif spec.name == "rust" and is_function:
            impl = _enclosing_impl(node)
            name = f"{node_text(impl.child_by_field_name('type'), data)}.{name}" if impl is not None else name
        qualified = f"{stack[-1][1]}.{name}" if stack else name
        if is_function:
            first, last = node.start_point.row + 1, node.end_point.row + 1
            in_class = bool(stack) and not stack[-1][2]
            kind = "method" if in_class or node.type in ("method_definition", "method_declaration") else "function"
            functions.append(
                Function(qualified, kind, first, last, start, end, 1, prefix[last] - prefix[first - 1],
                         _decorated(node), _exported(spec, node, name))
            )  # fmt: skip
            if detached is not None and node.type == "arrow_function":
                body = node.child_by_field_name("body")
                arrow = next((c for c in node.children if c.type == "=>"), None)
                if body is not None and arrow is not None and body.type != "statement_block" \
                        and body.start_point.row > arrow.start_point.row:  # fmt: skip
                    detached[start] = body.start_byte
        stack.append((end, qualified, is_function))
    return functions


def _enclosing_impl(node: tree_sitter.Node) -> tree_sitter.Node | None:
    up = node.parent
    while up is not None and up.type in ("declaration_list",):
        up = up.parent
    return up if up is not None and up.type in ("impl_item", "trait_item") else None


def _innermost(functions: list[Function], positions: Sequence[int]) -> list[int]:
    """For positions in ascending order, the index of the innermost function containing each (-1: none)."""
    owners: list[int] = []
    stack: list[int] = []
    nxt, count = 0, len(functions)
    for pos in positions:
        while nxt < count and functions[nxt].start_byte <= pos:
            while stack and functions[stack[-1]].end_byte <= functions[nxt].start_byte:
                stack.pop()
            stack.append(nxt)
            nxt += 1
        while stack and functions[stack[-1]].end_byte <= pos:
            stack.pop()
        owners.append(stack[-1] if stack else -1)
    return owners


def _attribute(
    functions: list[Function], caps: dict[str, list[tree_sitter.Node]], data: bytes, detached: dict[int, int]
) -> None:
    """Decisions and calls, each to the innermost function that contains it (see `_functions` for the
    detached arrow bodies, whose decisions go to the function around them)."""
    if not functions:
        return
    functions.sort(key=lambda f: (f.start_byte, -f.end_byte))
    first_arms = {n.start_byte for n in caps.get("lizard.first_arm", ())}  # a match's first arm is no branch
    decisions = sorted(
        [n.start_byte for n in caps.get("decision", ()) if n.start_byte not in first_arms]
        + [n.start_byte for n in caps.get("lizard.closure", ()) if n.end_byte - n.start_byte == 2]  # `||`
    )
    owners = _innermost(functions, decisions)
    if "lizard.assigned" in caps:
        owners = _without_lizard_parameters(functions, decisions, owners, caps["lizard.assigned"], data)
    if detached:
        owners = _reattach(functions, decisions, owners, detached)
    for owner in owners:
        if owner >= 0:
            functions[owner].ccn += 1
    nodes = caps.get("call", ())
    calls: dict[int, set[bytes]] = {}
    for node, owner in zip(nodes, _innermost(functions, [n.start_byte for n in nodes]), strict=True):
        if owner >= 0:
            calls.setdefault(owner, set()).add(data[node.start_byte : node.end_byte])
    for owner, names in calls.items():
        functions[owner].calls = sorted(n.decode("utf-8", "replace") for n in names)


def _reattach(
    functions: list[Function], decisions: list[int], owners: list[int], detached: dict[int, int]
) -> list[int]:
    parent: list[int] = []
    stack: list[int] = []
    for i, function in enumerate(functions):
        while stack and functions[stack[-1]].end_byte <= function.start_byte:
            stack.pop()
        parent.append(stack[-1] if stack else -1)
        stack.append(i)
    body = {i: detached[f.start_byte] for i, f in enumerate(functions) if f.start_byte in detached}
    return [parent[o] if o in body and d >= body[o] else o for d, o in zip(decisions, owners, strict=True)]


def _without_lizard_parameters(
    functions: list[Function],
    decisions: list[int],
    owners: list[int],
    values: Sequence[tree_sitter.Node],
    data: bytes,
) -> list[int]:
    """Lizard reads `name = (...)` as a possible arrow function: the tokens inside the parenthesis, and the
    token just after it, never reach the enclosing function's count (functions nested inside the parenthesis
    still count their own). Drop those decisions from the owners list (as -1)."""
    skipped: list[tuple[int, int]] = []
    for value in values:
        if value.type == "arrow_function" or data[value.start_byte : value.start_byte + 1] != b"(":
            continue
        group = value
        while group.type != "parenthesized_expression" and group.child_count:
            group = group.children[0]
        if group.type != "parenthesized_expression":
            continue
        after = group.next_sibling
        end = after.end_byte if after is not None and not after.is_named else group.end_byte
        skipped.append((group.start_byte, end))
    if not skipped:
        return owners
    around = _innermost(functions, sorted(start for start, _ in skipped))
    enclosing = dict(zip(sorted(start for start, _ in skipped), around, strict=True))
    spans = sorted(skipped)
    return [
        -1 if any(start <= d < end and owner == enclosing[start] for start, end in spans) else owner
        for d, owner in zip(decisions, owners, strict=True)
    ]


def _exports(caps: dict[str, list[tree_sitter.Node]], data: bytes) -> list[str] | None:
    for name, value in zip(caps.get("all.name", ()), caps.get("all.value", ()), strict=False):
        if node_text(name, data) == "__all__" and name.parent is not None and name.parent.parent is not None:
            statement = name.parent.parent
            if statement.parent is not None and statement.parent.type == "module":
                return _ALL_NAMES.findall(node_text(value, data))
    return None
