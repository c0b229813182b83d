"""What a failed CI job's log says went wrong: its class (a test failed, the build, lint or types, installing
dependencies, the infrastructure or a timeout), the failing tests' names, the first real error lines, and a
signature that stays the same when the same failure happens again (numbers, paths' line numbers, hashes,
times and temp folders taken out), so one failure is one tracker issue however often it recurs.

A pure function of the text: GitHub Actions' timestamps and `##[group]` markers and ANSI colours are
stripped first; the local forge's check output has none of them."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

KINDS = ("test", "build", "lint", "dependency", "infrastructure")

_STAMP = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z ?")
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_NOISE = re.compile(r"^(?:##\[(?:group|endgroup)\]|\[command\]|shell: |env:|with:)")

# The failing tests, by runner: pytest, go test, jest/vitest, JUnit-style ("Tests run: ... FAILURE").
_TESTS = [
    re.compile(r"^FAILED (\S+?::\S+?)(?: - |$)"),  # pytest's short summary
    re.compile(r"^--- FAIL: (\S+)"),  # go test
    re.compile(r"^\s*(?:✕|×)\s+(.+?)(?: \(\d+ ?m?s\))?$"),  # jest / vitest
    re.compile(r"^\[ERROR\]\s+(\S+)\s+Time elapsed: .* <<< (?:FAILURE|ERROR)!"),  # maven surefire
]
# Lines that say which class a failure is, most telling first; the first class with a match wins.
_SIGNS: list[tuple[str, re.Pattern[str]]] = [
    (
        "infrastructure",
        re.compile(
            r"The operation was canceled|has exceeded the maximum execution time|\btimed out\b|\bTimeoutError\b|"
            r"deadline exceeded|No space left on device|"
            r"runner has received a shutdown signal|lost communication with the server|ECONNRESET|"
            r"Connection reset by peer|Temporary failure in name resolution|rate limit exceeded|"
            r"503 Service Unavailable",
            re.I,
        ),
    ),
    (
        "dependency",
        re.compile(
            r"Could not find a version that satisfies|No matching distribution found|ResolutionImpossible|"
            r"npm ERR! (?:code E|ERESOLVE|404)|error Found incompatible module|lock file does not contain a compatible|"
            r"Your requirements could not be resolved|ModuleNotFoundError: No module named|Cannot find module '|"
            r"failed to select a version|could not resolve dependencies|pip's dependency resolver",
            re.I,
        ),
    ),
    (
        "test",
        re.compile(
            r"^FAILED \S+::|^=+ .*\d+ failed|^--- FAIL: |^FAIL\s+\S+\s+[\d.]+s$|^Tests:\s+\d+ failed|"
            r"Tests run: \d+, Failures: [1-9]|AssertionError|^\s*(?:✕|×) "
        ),
    ),
    (
        "lint",
        re.compile(
            r"^Found \d+ errors? in \d+ files?|^Found \d+ errors?\.$|: error: .*\[[a-z-]+\]$|"
            r"^(?:\S+:\d+:\d+: )?[A-Z]{1,3}\d{3,4} |"
            r"would reformat|^\s*\d+:\d+\s+error\s+.*\s[\w/@-]+$|Lint errors? found|ruff|flake8|eslint|mypy",
            re.I,
        ),
    ),
    (
        "build",
        re.compile(
            r"error\[E\d{4}\]|error TS\d{4}|SyntaxError|cannot find symbol|compilation failed|"
            r"undefined reference to|could not compile|make: \*\*\* |^\S+\.(?:go|c|cc|cpp|java|rs|ts):\d+:\d+: error",
            re.I,
        ),
    ),
]
_ERROR = re.compile(
    r"(?:^|\s)(?:error|Error|ERROR|FAILED|FAIL|fatal|Traceback|E   )\b|^##\[error\]|✕|"
    r"^(?:\S+:\d+:\d+: )?[A-Z]{1,3}\d{3,4} "
)  # the last: a linter's rule code (ruff, flake8)
_GENERIC = re.compile(r"^(?:##\[error\])?Process completed with exit code \d+\.?$")
# What changes between two runs of the same failure, taken out of the signature.
_VARIABLE = [
    (re.compile(r"0x[0-9a-fA-F]+|\b[0-9a-f]{7,40}\b"), "<hex>"),
    (re.compile(r"/tmp/[^\s:'\"]+|/home/runner/work/[^\s:'\"]+/"), "<tmp>/"),
    (re.compile(r"\d+(?:\.\d+)?"), "<n>"),
]


@dataclass(frozen=True)
class Diagnosis:
    kind: str  # one of KINDS, or "unknown"
    tests: list[str] = field(default_factory=list)  # the failing tests' names, as the runner gave them
    errors: list[str] = field(default_factory=list)  # the first real error lines (at most 8)
    signature: str = ""

    @property
    def title(self) -> str:
        what = {"test": "tests fail", "build": "the build fails", "lint": "lint or type checks fail",
                "dependency": "dependencies do not install", "infrastructure": "the CI infrastructure failed",
                "unknown": "CI fails"}[self.kind]  # fmt: skip
        if self.tests:
            more = f" and {len(self.tests) - 1} more" if len(self.tests) > 1 else ""
            return f"{what}: {self.tests[0]}{more}"
        return f"{what}: {self.errors[0][:120]}" if self.errors else what


def clean(log: str) -> list[str]:
    lines = []
    for raw in log.splitlines():
        line = _ANSI.sub("", _STAMP.sub("", raw)).rstrip()
        if line and not _NOISE.match(line):
            lines.append(line)
    return lines


def diagnose(log: str) -> Diagnosis:
    lines = clean(log)
    tests = list(dict.fromkeys(m.group(1) for line in lines for p in _TESTS if (m := p.match(line))))
    kind = "test" if tests else next((k for k, sign in _SIGNS if any(sign.search(line) for line in lines)), "unknown")
    errors = list(dict.fromkeys(line.strip().removeprefix("##[error]") for line in lines
                                if _ERROR.search(line) and not _GENERIC.match(line.strip())))[:8]  # fmt: skip
    return Diagnosis(kind, tests, errors, signature(kind, tests, errors))


def signature(kind: str, tests: list[str], errors: list[str]) -> str:
    """The same for the same failure in another run: the class, the tests, the first error lines with what
    varies between runs (numbers, hashes, temp paths) taken out."""
    parts = [kind, *sorted(tests)] if tests else [kind, *errors[:3]]
    text = "\n".join(parts)
    for pattern, placeholder in _VARIABLE:
        text = pattern.sub(placeholder, text)
    return hashlib.blake2b(text.encode(), digest_size=6).hexdigest()
