"""Per-test results from what the frameworks write: JUnit XML (pytest `--junitxml`, Maven Surefire,
Gradle, most others), `go test -json` (test2json events), and jest's `--json` report. Each result names
the test the way its framework would select it again, and the file it lives in when that can be told."""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from dataclasses import dataclass

Outcome = str  # passed, failed, skipped


@dataclass(frozen=True)
class TestResult:
    __test__ = False  # not a pytest test class

    id: str  # pytest node id, `pkg/TestName`, jest's full name, `Class.method`
    file: str | None  # relative to the project, when known
    outcome: Outcome
    duration: float  # seconds


class ReportError(ValueError):
    """A report file that is not what its framework writes; names the file."""


def junit(text: str, root: str, source: str = "junit") -> list[TestResult]:
    try:
        doc = ET.fromstring(text)
    except ET.ParseError as exc:
        raise ReportError(f"{source}: not JUnit XML ({exc})") from None
    out = []
    for case in doc.iter("testcase"):
        name, classname = case.get("name", ""), case.get("classname", "")
        outcome = "passed"
        for child in case:
            if child.tag in ("failure", "error"):
                outcome = "failed"
            elif child.tag == "skipped" and outcome == "passed":
                outcome = "skipped"
        try:
            duration = float(case.get("time") or 0)
        except ValueError:
            duration = 0.0
        file = case.get("file") or _python_file(classname, root)
        if file is not None and file.endswith(".py"):
            rest = classname[len(file[:-3].replace("/", ".")) :].strip(".")
            test_id = "::".join([file, *([rest] if rest else []), name])
        else:
            file = file or _java_file(classname, root)
            test_id = f"{classname}.{name}" if classname else name
        out.append(TestResult(test_id, file, outcome, duration))
    return out


def go_json(text: str, module: str) -> list[TestResult]:
    """test2json's events, one JSON object per line: the last pass/fail/skip of each test wins (a test's
    subtests are tests of their own, `TestA/sub`)."""
    final: dict[tuple[str, str], TestResult] = {}
    for line in text.splitlines():
        if not line.startswith("{"):
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        action, test, package = event.get("Action"), event.get("Test"), str(event.get("Package", ""))
        if not test or action not in ("pass", "fail", "skip"):
            continue
        directory = package[len(module) :].lstrip("/") if module and package.startswith(module) else package
        outcome = {"pass": "passed", "fail": "failed", "skip": "skipped"}[action]
        final[(package, test)] = TestResult(f"{directory or '.'}/{test}", directory or ".", outcome,
                                            float(event.get("Elapsed") or 0))  # fmt: skip
    return list(final.values())


def jest_json(text: str, root: str) -> list[TestResult]:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise ReportError(f"jest report: not JSON ({exc})") from None
    out = []
    for suite in doc.get("testResults") or []:
        path = str(suite.get("name") or suite.get("testFilePath") or "")
        file = os.path.relpath(path, root) if os.path.isabs(path) else path
        for a in suite.get("assertionResults") or []:
            status = a.get("status")
            outcome = "passed" if status == "passed" else "failed" if status == "failed" else "skipped"
            name = a.get("fullName") or a.get("title") or ""
            out.append(TestResult(f"{file}::{name}", file, outcome, float(a.get("duration") or 0) / 1000))
    return out


def _python_file(classname: str, root: str) -> str | None:
    """pytest's classname is the module path then any classes: the longest prefix that is a file."""
    parts = classname.split(".")
    for n in range(len(parts), 0, -1):
        candidate = "/".join(parts[:n]) + ".py"
        if os.path.isfile(os.path.join(root, candidate)):
            return candidate
    return None


def _java_file(classname: str, root: str) -> str | None:
    tail = classname.replace(".", "/").split("$")[0] + ".java"
    for base in ("src/test/java", "src/test/kotlin", "test", "src"):
        if os.path.isfile(os.path.join(root, base, tail)):
            return f"{base}/{tail}"
    return None
