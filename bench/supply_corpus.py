"""The corpus the supply-chain benches read: pip's vendored packages (about 117,000 lines of Python in
pip/_vendor of this interpreter's pip) copied into a temporary git repository, with pip's own pins
(`vendor.txt`) as requirements.txt plus a legacy requirements file of old, known-vulnerable pins."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pip

VENDOR = Path(pip.__file__).parent / "_vendor"
LEGACY = "requests==2.19.0\njinja2==2.10\npyyaml==5.3\nurllib3==1.24.1\nwerkzeug==0.15.0\n"
ENV = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.invalid", "GIT_COMMITTER_NAME": "b",
       "GIT_COMMITTER_EMAIL": "b@example.invalid"}  # fmt: skip


def make_corpus(root: Path) -> Path:
    repo = root / "corpus"
    shutil.copytree(VENDOR, repo / "_vendor", ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    (repo / "requirements.txt").write_text((VENDOR / "vendor.txt").read_text())
    (repo / "requirements-legacy.txt").write_text(LEGACY)
    subprocess.run(["git", "init", "-q", "-b", "main", str(repo)], check=True, env=ENV)
    subprocess.run(["git", "-C", str(repo), "add", "."], check=True, env=ENV)
    subprocess.run(["git", "-C", str(repo), "commit", "-qm", "corpus"], check=True, env=ENV)
    return repo


def python_lines(repo: Path) -> int:
    return sum(len(p.read_bytes().splitlines()) for p in repo.rglob("*.py"))
