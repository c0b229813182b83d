"""Git churn: how many commits touched each file in a window, for hotspots (complexity x churn)."""

from __future__ import annotations

import os
import subprocess
from collections import Counter

from contexten.analysis.model import FileAnalysis, Hotspot

DEFAULT_WINDOW_DAYS = 90


def file_churn(root: str, days: int = DEFAULT_WINDOW_DAYS) -> Counter[str]:
    """Commits per file (paths relative to root) over the last `days`; empty outside a git work tree."""
    try:
        proc = subprocess.run(
            ["git", "-C", root, "log", f"--since={days}.days", "--relative", "--name-only", "--format=",
             "--no-renames"],
            capture_output=True, timeout=120, check=False, env={**os.environ, "GIT_TERMINAL_PROMPT": "0"},
        )  # fmt: skip
    except (OSError, subprocess.TimeoutExpired):
        return Counter()
    if proc.returncode != 0:
        return Counter()
    return Counter(line for line in proc.stdout.decode("utf-8", "replace").splitlines() if line)


def hotspots(files: dict[str, FileAnalysis], churn: Counter[str], limit: int = 20) -> list[Hotspot]:
    found = [
        Hotspot(path, f.name, f.ccn, churn[path], f.ccn * churn[path])
        for path, file in files.items()
        if churn.get(path)
        for f in file.functions
        if f.ccn > 1
    ]
    return sorted(found, key=lambda h: (-h.score, h.file, h.name))[:limit]
