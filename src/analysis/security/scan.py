"""A whole repository's security reading: secrets in the tree and in recent history, risky code in every
source file. Lockfiles and files past the size limit are not read for secrets (their integrity hashes
are high-entropy by design); binary files are recognised by a NUL byte and skipped."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from contexten.analysis.deps.inventory import LOCKFILES
from contexten.analysis.gitrun import run_git
from contexten.analysis.security.risky import RiskyCode, scan_source
from contexten.analysis.security.secrets import SecretFinding, scan_patch, scan_text
from contexten.analysis.walk import every_file, included

NOT_SECRETS = frozenset({*LOCKFILES, "go.sum", "yarn.lock", "pnpm-lock.yaml", "composer.lock", "Gemfile.lock"})


@dataclass
class SecurityScan:
    secrets: list[SecretFinding] = field(default_factory=list)
    risky: list[RiskyCode] = field(default_factory=list)
    files: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (path, why)


def scan_tree(root: str, excluded: tuple[str, ...] = (), max_bytes: int = 1_000_000, secrets: bool = True,
              code: bool = True) -> SecurityScan:  # fmt: skip
    out = SecurityScan()
    if not secrets and not code:
        return out
    for rel in every_file(root):
        if os.path.basename(rel) in NOT_SECRETS or (not secrets and not included(rel, excluded)):
            continue
        try:
            with open(os.path.join(root, rel), "rb") as fh:
                data = fh.read(max_bytes + 1)
        except OSError as exc:
            out.skipped.append((rel, f"unreadable: {exc.strerror}"))
            continue
        if len(data) > max_bytes:
            out.skipped.append((rel, f"larger than {max_bytes} bytes"))
            continue
        if b"\0" in data[:8192]:
            continue
        out.files += 1
        if secrets:
            out.secrets += scan_text(rel, data.decode("utf-8", "replace"))
        if code and included(rel, excluded):
            out.risky += scan_source(rel, data)
    return out


def scan_history(root: str, commits: int) -> list[SecretFinding]:
    """Secrets in the lines the last `commits` commits added (one still in the tree is found there too;
    one since removed is still leaked: it stays in every clone)."""
    if commits <= 0:
        return []
    result = run_git(root, "log", f"-n{commits}", "-p", "--no-color", "--no-ext-diff", "--format=commit:%H",
                     "--diff-filter=AM", timeout=120)  # fmt: skip
    if result is None or result[0] != 0:
        return []
    return [f for f in scan_patch(result[1]) if os.path.basename(f.path) not in NOT_SECRETS]
