"""A failed CI job's log, classified (issue 15, `failure_analysis`): GitHub Actions' real job logs, and the
real output of pytest, ruff and mypy made here on files that fail them; the signature is the same for the
same failure in another run (other times, other temp folders) and differs for another failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from contexten.daemon.slices.ci.classify import clean, diagnose

LOGS = Path(__file__).parents[1] / "fixtures" / "github" / "logs"


def _run(folder: Path, *argv: str) -> str:
    done = subprocess.run(argv, cwd=folder, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0, done.stdout  # it must have failed for the log to mean anything
    return done.stdout + done.stderr


def _pytest(folder: Path, body: str) -> str:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "test_calc.py").write_text(body)
    return _run(folder, sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_calc.py")


def test_github_actions_logs_of_install_failures_are_dependency_failures() -> None:
    backend = diagnose((LOGS / "job-log.backend-tests.failure.txt").read_text())
    assert backend.kind == "dependency" and backend.tests == []
    assert (
        backend.errors[0] == "Your lock file does not contain a compatible set of packages. Please run composer update."
    )
    frontend = diagnose((LOGS / "job-log.frontend-tests.failure.txt").read_text())
    assert frontend.kind == "dependency" and "error Found incompatible module." in frontend.errors
    assert backend.signature != frontend.signature
    assert not any(
        line.startswith(("2026-", "##[group]"))
        for line in clean((LOGS / "job-log.backend-tests.failure.txt").read_text())
    )


def test_a_pytest_failure_names_its_tests_and_keeps_its_signature_across_runs(tmp_path: Path) -> None:
    failing = "def test_add():\n    assert 1 + 1 == 3\n\ndef test_ok():\n    assert True\n"
    first = diagnose(_pytest(tmp_path / "a", failing))
    again = diagnose(_pytest(tmp_path / "elsewhere" / "b", failing))
    assert first.kind == "test" and first.tests == ["test_calc.py::test_add"]
    assert first.title == "tests fail: test_calc.py::test_add"
    assert first.signature == again.signature  # another folder, another duration: the same failure
    other = diagnose(
        _pytest(tmp_path / "c", failing.replace("test_ok():\n    assert True", "test_ok():\n    assert 0"))
    )
    assert other.tests == ["test_calc.py::test_add", "test_calc.py::test_ok"] and other.signature != first.signature


def test_linters_and_type_checkers_are_lint_failures_with_their_first_findings(tmp_path: Path) -> None:
    (tmp_path / "bad.py").write_text("import os\n\n\ndef f(x):\n    return x\n")
    (tmp_path / "typed.py").write_text("def g(x: int) -> str:\n    return x\n")
    ruff = diagnose(_run(tmp_path, sys.executable, "-m", "ruff", "check", "--no-cache", "--isolated", "bad.py"))
    assert ruff.kind == "lint" and any("F401" in e for e in ruff.errors)
    mypy = diagnose(_run(tmp_path, sys.executable, "-m", "mypy", "--no-incremental", "typed.py"))
    assert mypy.kind == "lint" and mypy.errors[0].startswith("typed.py:2: error: Incompatible return value type")


def test_go_builds_timeouts_and_unknown_logs() -> None:
    go = diagnose("=== RUN   TestParse\n--- FAIL: TestParse (0.00s)\n    parse_test.go:12: got 1\nFAIL\n"
                  "FAIL\texample.com/p\t0.004s\n")  # fmt: skip
    assert go.kind == "test" and go.tests == ["TestParse"]
    build = diagnose("src/main.rs:3:5: error[E0425]: cannot find value `x` in this scope\nerror: could not compile `p`")
    assert build.kind == "build"
    stamp = "2026-02-22T14:21:01.4409515Z "
    timeout = diagnose(f"{stamp}Running tests\n{stamp}##[error]The job running on runner GitHub Actions 2 has "
                       "exceeded the maximum execution time of 360 minutes.\n"
                       f"{stamp}##[error]The operation was canceled.\n")  # fmt: skip
    assert timeout.kind == "infrastructure" and timeout.errors[0].startswith("The job running on runner")
    assert diagnose("all good\nexit 1\n").kind == "unknown"
