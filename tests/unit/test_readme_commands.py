"""Every `contexten ...` line in the README's examples names a real command (it once said `pause 12 /
resume 12`, which is not one), and parses with the real parser."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from contexten.cli.parser import build_parser

README = Path(__file__).resolve().parents[2] / "README.md"


def _example_lines() -> list[str]:
    lines, inside = [], False
    for line in README.read_text().splitlines():
        if line.startswith("```"):
            inside = not inside
            continue
        if inside and line.startswith("contexten "):
            lines.append(line.split("  #", 1)[0].split(" # ", 1)[0].strip())
    return lines


def test_the_readme_has_examples() -> None:
    assert len(_example_lines()) > 30


def _commands(line: str) -> list[list[str]]:
    """`contexten work 3 --pause / --resume` is two commands: the options after " / " replace the first's."""
    first, *others = line.replace("~", "/home/me").split(" / ")
    words = shlex.split(first)[1:]
    if "|" in words:
        words = words[: words.index("|")]
    prefix = words[: next((i for i, w in enumerate(words) if w.startswith("--")), len(words))]
    return [words, *[prefix + shlex.split(other) for other in others]]


@pytest.mark.parametrize("line", _example_lines())
def test_each_readme_example_parses(line: str) -> None:
    for words in _commands(line):
        try:
            build_parser().parse_args(words)
        except SystemExit as exc:
            pytest.fail(f"`contexten {' '.join(words)}` (from the README) does not parse (exit {exc.code})")
