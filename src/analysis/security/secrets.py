"""Leaked secrets: known token shapes (the providers' documented prefixes) and high-entropy strings given
to names that hold credentials, in the tree and in the lines recent commits added.

A finding never carries the secret: only its kind, where it is, and a fingerprint (a hash prefix) that
stays the same across runs, so the same leak is one issue however often it is found. A line carrying
`pragma: allowlist secret` (detect-secrets' marker) is left alone.
"""

from __future__ import annotations

import hashlib
import math
import re
from bisect import bisect_right
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

ALLOW = "pragma: allowlist secret"
MIN_ENTROPY = 3.5  # bits per character; random base64 is ~6, English words ~2.5-3
MIN_LENGTH = 16
MAX_LINE = 4000  # minified code: past this a line is not where people paste keys

# Shapes documented by the issuers. Each is specific enough that a match is a finding by itself. None
# starts with `\b`: a pattern that starts with its literal lets the regex engine jump to each candidate.
PATTERNS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("aws-access-key-id", re.compile(r"(?:AKIA|ASIA)[0-9A-Z]{16}\b")),
    ("github-token", re.compile(r"gh[pousr]_[A-Za-z0-9]{36,255}\b")),
    ("github-fine-grained-token", re.compile(r"github_pat_[A-Za-z0-9_]{82}\b")),
    ("slack-token", re.compile(r"xox[abposr]-[A-Za-z0-9-]{10,250}\b")),
    ("slack-webhook", re.compile(r"https://hooks\.slack\.com/services/T[A-Za-z0-9_]+/B[A-Za-z0-9_]+/[A-Za-z0-9_]+")),
    ("stripe-secret-key", re.compile(r"[sr]k_live_[A-Za-z0-9]{20,247}\b")),
    ("google-api-key", re.compile(r"AIza[0-9A-Za-z_-]{35}\b")),
    ("openai-api-key", re.compile(r"sk-(?:proj-)?[A-Za-z0-9_-]{20,}T3BlbkFJ[A-Za-z0-9_-]{20,}\b")),
    ("private-key", re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY(?: BLOCK)?-----")),
    # Starts with its literal, so the regex engine skips to each "://" instead of trying every word.
    ("url-with-password", re.compile(r"://[^/\s:@'\"]{1,64}:([^/\s:@'\"]{6,128})@[^\s'\"]+")),
)
# A literal each pattern's match contains: a file without it is not searched by that pattern at all.
NEEDLES = {"aws-access-key-id": ("AKIA", "ASIA"), "github-token": ("gh",), "github-fine-grained-token": ("_pat_",),
           "slack-token": ("xox",), "slack-webhook": ("hooks.slack.com",), "stripe-secret-key": ("k_live_",),
           "google-api-key": ("AIza",), "openai-api-key": ("T3BlbkFJ",), "private-key": ("PRIVATE KEY",),
           "url-with-password": ("://",)}  # fmt: skip
_WORDS = ("pass", "secret", "token", "key", "credential")

# `password = "..."`, `"api_key": "..."`, `TOKEN=...`: a credential-like name given a literal.
_NAMES = r"password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|client[_-]?secret|credentials?"
_ASSIGNED_TEXT = rf"""(?:{_NAMES})[a-z0-9_.-]*["']?\s*(?:[:=]|:=|=>)\s*["']([^"'\s]{{{MIN_LENGTH},256}})["']"""
_ASSIGNED = re.compile("(?i)" + _ASSIGNED_TEXT)
# Over ASCII text lowered first: case-sensitive, so the engine can skip ahead (offsets are the same).
_ASSIGNED_LOWER = re.compile(_ASSIGNED_TEXT)
_PLACEHOLDER = re.compile(
    r"(?i)^(?:x+|\*+|<.*>|\$\{.*\}|\{\{.*\}\}|%\(.*\)s|your[_-].*|changeme|example.*|dummy.*|test.*)$"
)


@dataclass(frozen=True)
class SecretFinding:
    kind: str
    path: str
    line: int
    fingerprint: str  # sha256 of the secret, 16 hex digits: the same leak matches across runs
    commit: str | None = None  # found in this commit's added lines (history), else in the tree

    def describe(self) -> str:
        where = f"{self.path}:{self.line}" + (f" (added in {self.commit[:12]})" if self.commit else "")
        return f"{self.kind} at {where}, fingerprint {self.fingerprint}"


def entropy(text: str) -> float:
    """Shannon entropy in bits per character."""
    counts = Counter(text)
    n = len(text)
    return -sum(c / n * math.log2(c / n) for c in counts.values()) if n else 0.0


def fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()[:16]


def scan_lines(path: str, lines: Iterable[tuple[int, str]], commit: str | None = None) -> Iterator[SecretFinding]:
    """Each pattern runs once over the text joined, not once a line: a file is a handful of regex passes."""
    numbered = list(lines)
    text = "\n".join(line for _, line in numbered)
    starts = [0]
    for _, line in numbered[:-1]:
        starts.append(starts[-1] + len(line) + 1)

    def where(offset: int) -> tuple[int, str] | None:
        i = bisect_right(starts, offset) - 1
        number, line = numbered[i]
        return None if len(line) > MAX_LINE or ALLOW in line else (number, line)

    found: list[tuple[int, int, SecretFinding]] = []
    for order, (kind, pattern) in enumerate(PATTERNS):
        if not any(n in text for n in NEEDLES[kind]):
            continue
        for m in pattern.finditer(text):
            at = where(m.start())
            if at is not None:
                secret = m.group(1) if pattern.groups else m.group(0)
                found.append((at[0], order, SecretFinding(kind, path, at[0], fingerprint(secret), commit)))
    lowered = text.lower()
    matches = (_ASSIGNED_LOWER.finditer(lowered) if text.isascii() else _ASSIGNED.finditer(text)) if any(
        w in lowered for w in _WORDS) else iter(())  # fmt: skip
    for m in matches:
        value = text[m.start(1) : m.end(1)]
        if _PLACEHOLDER.match(value) or entropy(value) < MIN_ENTROPY or _known_shape(value):
            continue
        at = where(m.start(1))
        if at is not None:
            found.append((at[0], len(PATTERNS), SecretFinding("high-entropy-credential", path, at[0],
                                                             fingerprint(value), commit)))  # fmt: skip
    for _, _, finding in sorted(found, key=lambda f: (f[0], f[1])):
        yield finding


def scan_text(path: str, text: str) -> list[SecretFinding]:
    return list(scan_lines(path, enumerate(text.splitlines(), 1)))


def scan_patch(patch: str) -> list[SecretFinding]:
    """The lines each commit of `git log -p --format=commit:%H` added, with their line numbers."""
    out: list[SecretFinding] = []
    commit: str | None = None
    path = ""
    number = 0
    added: list[tuple[int, str]] = []

    def flush() -> None:
        if path and added:
            out.extend(scan_lines(path, added, commit))
        added.clear()

    for line in patch.splitlines():
        if line.startswith("commit:"):
            flush()
            commit, path = line[len("commit:") :].strip(), ""
        elif line.startswith("+++ "):
            flush()
            target = line[4:].strip()
            path = target[2:] if target.startswith("b/") else ""
        elif line.startswith("@@"):
            m = re.match(r"@@ -\d+(?:,\d+)? \+(\d+)", line)
            number = int(m.group(1)) if m else 0
        elif line.startswith("+") and path:
            added.append((number, line[1:]))
            number += 1
        elif not line.startswith("-"):
            number += 1
    flush()
    return out


def _known_shape(value: str) -> bool:
    """Already reported by a pattern on the same line."""
    return any(p.search(value) for _, p in PATTERNS)
