"""How to run a project's tests so each test's result is written down, and how to run some of them
again. The project's own `test_command` is kept and given the framework's reporting flag:

- pytest: `--junitxml=FILE` (and `-p no:cacheprovider`, so the run leaves no cache behind);
  rerun by node id;
- go: `go test -json` (test2json on stdout); rerun with `-run '^(A|B)$'`;
- jest: `--json --outputFile=FILE`; rerun with `--testNamePattern`;
- anything else that writes JUnit XML: name the files (`junit_glob`, e.g. target/surefire-reports/*.xml).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    framework: str  # pytest, go, jest, junit
    command: list[str]
    report: str | None  # the file the framework writes; None: results come on stdout (go)


def detect(command: list[str], framework: str = "auto") -> str:
    if framework != "auto":
        return framework
    words = " ".join(os.path.basename(c) for c in command)
    if re.search(r"\bpytest\b|\bpy\.test\b", words):
        return "pytest"
    if re.search(r"\bgo test\b", words) or command[:2] == ["go", "test"]:
        return "go"
    if re.search(r"\bjest\b", words):
        return "jest"
    return "junit"


def plan(command: list[str], framework: str, report_dir: str, rerun: list[str] | None = None) -> Plan:
    report = os.path.join(report_dir, "report.xml" if framework != "jest" else "report.json")
    if framework == "pytest":
        extra = [f"--junitxml={report}", "-p", "no:cacheprovider", "-o", "junit_family=xunit1"]
        return Plan(framework, [*command, *extra, *(rerun or [])], report)
    if framework == "go":
        cmd = [*command, "-json"] if "-json" not in command else list(command)
        if rerun:
            names = sorted({t.split("/", 1)[1].split("/")[0] if "/" in t else t for t in rerun})
            cmd += ["-run", "^(" + "|".join(re.escape(n) for n in names) + ")$"]
        return Plan(framework, cmd, None)
    if framework == "jest":
        cmd = [*command, "--json", f"--outputFile={report}"]
        if rerun:
            cmd += ["--testNamePattern", "^(" + "|".join(re.escape(t.split("::", 1)[-1]) for t in rerun) + ")$"]
        return Plan(framework, cmd, report)
    return Plan(framework, list(command), None)
