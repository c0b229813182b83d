"""Risky code, found by tree-sitter queries (`risky_queries.py`) in every language the analysis reads:
code run from strings (eval/exec), commands through a shell, unsafe deserialisation (pickle, yaml.load
without a safe loader, Java's ObjectInputStream), SQL built by string formatting, and TLS verification
turned off. Each finding names its rule, severity, file and line; the code's own text is kept short."""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

import tree_sitter

from contexten.analysis.languages import BY_NAME, language_of, parser_for
from contexten.analysis.security.risky_queries import BY_LANGUAGE

RULES: dict[str, tuple[str, str]] = {
    "eval-exec": ("high", "code executed from a string"),
    "shell-command": ("high", "a command run through a shell"),
    "unsafe-deserialization": ("high", "untrusted data deserialised into objects"),
    "sql-string-formatting": ("high", "SQL built by string formatting (injection)"),
    "tls-verification-disabled": ("medium", "TLS certificate verification turned off"),
}
_SQL = re.compile(r"(?i)\b(select\s.+\sfrom|insert\s+into|update\s+\S+\s+set|delete\s+from|drop\s+table|where\s)\b")
SNIPPET = 120


@dataclass(frozen=True)
class RiskyCode:
    rule: str
    severity: str
    path: str
    line: int
    snippet: str

    @property
    def title(self) -> str:
        return RULES[self.rule][1]


@cache
def _query(language: str) -> tree_sitter.Query | None:
    text = BY_LANGUAGE.get(language)
    return tree_sitter.Query(BY_NAME[language].language, text) if text else None


def scan_source(path: str, source: bytes) -> list[RiskyCode]:
    spec = language_of(path)
    query = _query(spec.name) if spec is not None else None
    if spec is None or query is None:
        return []
    tree = parser_for(spec).parse(source)
    out: dict[tuple[str, int], RiskyCode] = {}
    for _, captures in tree_sitter.QueryCursor(query).matches(tree.root_node):
        if "sql" in captures and not any(_SQL.search(_text(n)) for n in captures["sql"]):
            continue
        if "yaml.load" in captures and any("Safe" in _text(n) or "BaseLoader" in _text(n)
                                           for n in captures["yaml.load"]):  # fmt: skip
            continue
        for name, nodes in captures.items():
            if name.startswith("rule."):
                rule = name[len("rule.") :]
                for node in nodes:
                    line = node.start_point[0] + 1
                    snippet = " ".join(_text(node).split())[:SNIPPET]
                    out.setdefault((rule, line), RiskyCode(rule, RULES[rule][0], path, line, snippet))
    return sorted(out.values(), key=lambda f: (f.line, f.rule))


def _text(node: tree_sitter.Node) -> str:
    return (node.text or b"").decode("utf-8", "replace")
