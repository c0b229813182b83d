"""Words that are never names, per language: left out of a file's name counts, and kept as themselves in
token shapes (so `if x:` and `for x:` do not look alike)."""

from __future__ import annotations

import keyword


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_JS = _words(
    "async await break case catch class const continue debugger default delete do else export extends "
    "false finally for function get if import in instanceof let new null of return set static super "
    "switch this throw true try typeof undefined var void while with yield"
)
_TS = _JS | _words(
    "abstract any as boolean declare enum implements infer interface is keyof namespace never number "
    "object private protected public readonly satisfies string symbol type unknown"
)

KEYWORDS: dict[str, frozenset[str]] = {
    "python": frozenset(keyword.kwlist) | frozenset(keyword.softkwlist),
    "javascript": _JS,
    "typescript": _TS,
    "tsx": _TS,
    "go": _words(
        "break case chan const continue default defer else fallthrough false for func go goto if import "
        "interface iota map nil package range return select struct switch true type var"
    ),
    "rust": _words(
        "Self as async await break const continue crate dyn else enum extern false fn for if impl in let loop "
        "match mod move mut pub ref return self static struct super trait true type unsafe use where while"
    ),
    "java": _words(
        "abstract assert boolean break byte case catch char class const continue default do double else enum "
        "extends false final finally float for goto if implements import instanceof int interface long native "
        "new null package permits private protected public record return sealed short static strictfp super "
        "switch synchronized this throw throws transient true try var void volatile while yield"
    ),
}
