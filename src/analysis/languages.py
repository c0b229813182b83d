"""The languages contexten reads, each with its grammar wheel and one tree-sitter query that captures
everything the extractor needs in a single pass over the tree.

Cyclomatic complexity follows lizard's rules (lizard 1.24, `lizard_languages/*.py`): a function's CCN is
1 plus the number of condition tokens inside it, not counting nested functions (which get their own):

- Python: `if` (statements, `elif`-less ternaries and comprehension filters alike), `elif`, `for` (also in
  comprehensions), `while`, `except`, `finally`, `and`, `or`, and each `case` of a `match`. Lambdas are not
  functions: their tokens count for the function around them.
- JavaScript / TypeScript / TSX: `if`, `for`, `while`, `catch`, `case`, `&&`, `||`, `??` and the ternary
  `?` (in TSX every `?`, optional parameters and members too, as lizard's TSX reader counts tokens), and
  each parameter default (`x = 1`). Overload
  signatures in a class body and top-level function overloads are functions of CCN 1, as lizard lists them.
  One lizard quirk is reproduced: in
  `name = (...)`, lizard reads the parenthesis as a possible arrow function's parameter list, so the
  conditions inside it, and a condition token right after it, are not counted (functions nested inside
  still count their own). Another: an arrow function whose expression body starts on the line after its
  `=>` ends, for lizard, at that line break, so the body's conditions count for the enclosing function.
- Go: `if`, `for`, `case`, `&&`, `||`.
- Rust: `if`, `for`, `while`, `where`, `&&`, `||`, the `?` operator, and each match arm but the first
  (every `=>` but the first arm's, as lizard counts). Closures are not functions, and a closure without
  parameters (`|| ...`) counts once, as lizard reads its `||` as the operator.
- Java: `if`, `for`, `while`, `catch`, `case`, `&&`, `||` and the ternary `?` (not a generic wildcard's).
  Lambdas are not functions; neither are abstract and interface methods without a body.

The tokens are anonymous nodes of the grammar, so comments and strings never count, as in lizard.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.metadata
import threading
from dataclasses import dataclass
from functools import cached_property

import tree_sitter

from contexten.analysis.keywords import KEYWORDS

ANALYZER_VERSION = "6"  # bump when extraction changes, so cached results are recomputed


@dataclass(frozen=True)
class LanguageSpec:
    name: str
    extensions: tuple[str, ...]
    distribution: str  # the grammar wheel
    module: str
    entry: str  # the function in the module that returns the grammar
    query: str
    function_types: frozenset[str]
    class_types: frozenset[str]
    keywords: frozenset[str] = frozenset()  # words that are never names, kept as themselves in token shapes

    @cached_property
    def language(self) -> tree_sitter.Language:
        return tree_sitter.Language(getattr(importlib.import_module(self.module), self.entry)())

    @cached_property
    def compiled(self) -> tree_sitter.Query:
        return tree_sitter.Query(self.language, self.query)

    @cached_property
    def version(self) -> str:
        """What a cached result depends on: this analyzer, the binding, and the grammar."""
        grammar = importlib.metadata.version(self.distribution)
        return f"a{ANALYZER_VERSION}/ts{importlib.metadata.version('tree-sitter')}/{self.name}{grammar}"


PYTHON_QUERY = """
(function_definition name: (identifier) @name) @function
(class_definition name: (identifier) @name) @class
["if" "elif" "for" "while" "except" "finally" "and" "or" "case"] @decision
(import_statement) @import
(import_from_statement) @import
(future_import_statement) @import
(call function: [(identifier) @call (attribute attribute: (identifier) @call)])
(comment) @comment
[(string_start) (string_content)] @blank
(expression_statement (assignment left: (identifier) @all.name right: [(list) (tuple)] @all.value))
"""

_JS_COMMON = """
(function_declaration name: (identifier) @name) @function
(generator_function_declaration name: (identifier) @name) @function
(function_expression) @function
(arrow_function) @function
(method_definition name: (_) @name) @function
(class_declaration name: (_) @name) @class
(class name: (_) @name) @class
["if" "for" "while" "catch" "case" "&&" "||" "??"] @decision
(assignment_expression left: [(identifier) (member_expression)] right: (_) @lizard.assigned)
(variable_declarator name: (identifier) value: (_) @lizard.assigned)
(import_statement source: (string) @import.source) @import
(export_statement source: (string) @import.source) @import
(call_expression function: [(identifier) (import)] @import.call arguments: (arguments . (string) @import.source))
(call_expression function: [(identifier) @call (member_expression property: (property_identifier) @call)])
(new_expression constructor: (identifier) @call)
(comment) @comment
[(string_fragment) (escape_sequence) (regex_pattern) (regex_flags)] @blank
"""

JS_QUERY = (
    '(ternary_expression "?" @decision)\n'
    + _JS_COMMON
    + """
(jsx_text) @blank
(formal_parameters (assignment_pattern "=" @decision))
(formal_parameters (object_pattern (object_assignment_pattern "=" @decision)))
"""
)

TS_QUERY = (
    _JS_COMMON
    + """
(abstract_class_declaration name: (_) @name) @class
(interface_declaration name: (_) @name) @class
(formal_parameters [(required_parameter "=" @decision) (optional_parameter "=" @decision)])
(required_parameter pattern: (object_pattern (object_assignment_pattern "=" @decision)))
(class_body (method_signature name: (_) @name) @function)
(program (function_signature name: (_) @name) @function)
(export_statement (function_signature name: (_) @name) @function)
"""
)

# Lizard's TSX reader counts every `?` token (optional parameters and members too); its TypeScript reader
# counts only the ternary's.
TSX_QUERY = TS_QUERY + '(jsx_text) @blank\n"?" @decision\n'
TS_QUERY += '(ternary_expression "?" @decision)\n'


GO_QUERY = """
(function_declaration name: (identifier) @name) @function
(method_declaration name: (field_identifier) @name) @function
(func_literal) @function
(type_spec name: (type_identifier) @name) @class
["if" "for" "case" "&&" "||"] @decision
(import_spec path: (interpreted_string_literal) @import.source) @import
(call_expression function: [(identifier) @call (selector_expression field: (field_identifier) @call)])
(comment) @comment
[(interpreted_string_literal_content) (raw_string_literal_content) (escape_sequence) (rune_literal)] @blank
"""

RUST_QUERY = """
(function_item name: (identifier) @name) @function
[(struct_item name: (type_identifier) @name) (enum_item name: (type_identifier) @name)
 (trait_item name: (type_identifier) @name) (union_item name: (type_identifier) @name)] @class
["if" "for" "while" "where" "&&" "||" "?" "=>"] @decision
(match_block . (match_arm "=>" @lizard.first_arm))
(closure_parameters) @lizard.closure
(use_declaration argument: (_) @import.source) @import
(call_expression function: [(identifier) @call (field_expression field: (field_identifier) @call)
                            (scoped_identifier name: (identifier) @call)])
(macro_invocation macro: (identifier) @call)
[(line_comment) (block_comment)] @comment
[(string_content) (escape_sequence) (char_literal)] @blank
"""

JAVA_QUERY = """
(method_declaration name: (identifier) @name body: (block)) @function
(constructor_declaration name: (identifier) @name) @function
(compact_constructor_declaration name: (identifier) @name) @function
[(class_declaration name: (identifier) @name) (interface_declaration name: (identifier) @name)
 (enum_declaration name: (identifier) @name) (record_declaration name: (identifier) @name)
 (annotation_type_declaration name: (identifier) @name)] @class
["if" "for" "while" "catch" "case" "&&" "||"] @decision
(ternary_expression "?" @decision)
(import_declaration (_) @import.source) @import
(method_invocation name: (identifier) @call)
(object_creation_expression type: (type_identifier) @call)
[(line_comment) (block_comment)] @comment
[(string_fragment) (multiline_string_fragment) (escape_sequence) (character_literal)] @blank
"""

_JS_FUNCTIONS = frozenset({"function_declaration", "generator_function_declaration", "function_expression",
                           "arrow_function", "method_definition", "method_signature",
                           "function_signature"})  # fmt: skip
_JS_CLASSES = frozenset({"class_declaration", "class", "abstract_class_declaration", "interface_declaration"})

LANGUAGES: tuple[LanguageSpec, ...] = (
    LanguageSpec("python", (".py", ".pyi"), "tree-sitter-python", "tree_sitter_python", "language", PYTHON_QUERY,
                 frozenset({"function_definition"}), frozenset({"class_definition"})),
    LanguageSpec("javascript", (".js", ".jsx", ".mjs", ".cjs"), "tree-sitter-javascript", "tree_sitter_javascript",
                 "language", JS_QUERY, _JS_FUNCTIONS, _JS_CLASSES),
    LanguageSpec("typescript", (".ts", ".mts", ".cts"), "tree-sitter-typescript", "tree_sitter_typescript",
                 "language_typescript", TS_QUERY, _JS_FUNCTIONS, _JS_CLASSES),
    LanguageSpec("tsx", (".tsx",), "tree-sitter-typescript", "tree_sitter_typescript", "language_tsx", TSX_QUERY,
                 _JS_FUNCTIONS, _JS_CLASSES),
    LanguageSpec("go", (".go",), "tree-sitter-go", "tree_sitter_go", "language", GO_QUERY,
                 frozenset({"function_declaration", "method_declaration", "func_literal"}), frozenset({"type_spec"})),
    LanguageSpec("rust", (".rs",), "tree-sitter-rust", "tree_sitter_rust", "language", RUST_QUERY,
                 frozenset({"function_item"}),
                 frozenset({"struct_item", "enum_item", "trait_item", "union_item", "impl_item"})),
    LanguageSpec("java", (".java",), "tree-sitter-java", "tree_sitter_java", "language", JAVA_QUERY,
                 frozenset({"method_declaration", "constructor_declaration", "compact_constructor_declaration"}),
                 frozenset({"class_declaration", "interface_declaration", "enum_declaration", "record_declaration",
                            "annotation_type_declaration"})),
)  # fmt: skip

LANGUAGES = tuple(dataclasses.replace(spec, keywords=KEYWORDS[spec.name]) for spec in LANGUAGES)
BY_EXTENSION = {ext: spec for spec in LANGUAGES for ext in spec.extensions}
BY_NAME = {spec.name: spec for spec in LANGUAGES}

_local = threading.local()


def parser_for(spec: LanguageSpec) -> tree_sitter.Parser:
    """A parser per thread and language: a Parser is not safe to share between threads."""
    parsers: dict[str, tree_sitter.Parser] = _local.__dict__.setdefault("parsers", {})
    parser = parsers.get(spec.name)
    if parser is None:
        parser = parsers[spec.name] = tree_sitter.Parser(spec.language)
    return parser


def language_of(path: str) -> LanguageSpec | None:
    dot = path.rfind(".")
    return BY_EXTENSION.get(path[dot:].lower()) if dot >= 0 else None
