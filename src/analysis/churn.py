"""Git churn: how many commits touched each file in a window, for hotspots (complexity x churn)."""

from __future__ import annotations

from collections import Counter

from contexten.analysis.gitrun import run_git
from contexten.analysis.model import FileAnalysis, Hotspot

DEFAULT_WINDOW_DAYS = 90


def file_churn(root: str, days: int = DEFAULT_WINDOW_DAYS) -> Counter[str]:
    """Commits per file (paths relative to root) over the last `days`; empty outside a git work tree."""
    result = run_git(root, "log", f"--since={days}.days", "--relative", "--name-only", "--format=", "--no-renames",
                     timeout=120)  # fmt: skip
    if result is None or result[0] != 0:
        return Counter()
    return Counter(line for line in result[1].splitlines() if line)


def hotspots(files: dict[str, FileAnalysis], churn: Counter[str], limit: int = 20) -> list[Hotspot]:
    found = [
        Hotspot(path, f.name, f.ccn, churn[path], f.ccn * churn[path])
        for path, file in files.items()
        if churn.get(path)
        for f in file.functions
        if f.ccn > 1
    ]
    return sorted(found, key=lambda h: (-h.score, h.file, h.name))[:limit]
