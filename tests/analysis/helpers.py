"""Writing small source trees for analysis tests."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping
from pathlib import Path


def write_tree(root: Path, files: Mapping[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(textwrap.dedent(content).lstrip("\n"))
    return root


# A function with enough tokens to count as a duplicated block when copied (under any name).
BLOCK = """
def {name}(items, limit):
    total = 0
    for item in items:
        if item.value > limit and item.enabled:
            total += item.value * 2
        elif item.value < 0:
            total -= item.penalty(limit)
    return {{"total": total, "count": len(items)}}
"""
