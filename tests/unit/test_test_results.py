"""Per-test results from each framework's own report (issue 15): pytest's JUnit XML (written by a real
pytest run here), Surefire's JUnit XML, test2json's events and jest's `--json` report; which command asks
for them and reruns some; and the history's reading of flips."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from contexten.analysis.testruns.frameworks import detect, plan
from contexten.analysis.testruns.results import ReportError, go_json, jest_json, junit
from contexten.daemon.slices.ci.test_history import TestStats


def test_a_real_pytest_junit_report(tmp_path: Path) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_a.py").write_text(
        "import pytest\n\ndef test_ok():\n    pass\n\ndef test_bad():\n    assert 1 == 2\n\n"
        "@pytest.mark.skip(reason='later')\ndef test_skip():\n    pass\n\nclass TestGroup:\n"
        "    @pytest.mark.parametrize('n', [1, 2])\n    def test_param(self, n):\n        assert n\n"
    )  # fmt: skip
    p = plan([sys.executable, "-m", "pytest", "-q", "tests"], "pytest", str(tmp_path))
    subprocess.run(p.command, cwd=tmp_path, capture_output=True, check=False)
    assert p.report is not None
    results = junit(Path(p.report).read_text(), str(tmp_path))
    assert {(r.id, r.file, r.outcome) for r in results} == {
        ("tests/test_a.py::test_ok", "tests/test_a.py", "passed"),
        ("tests/test_a.py::test_bad", "tests/test_a.py", "failed"),
        ("tests/test_a.py::test_skip", "tests/test_a.py", "skipped"),
        ("tests/test_a.py::TestGroup::test_param[1]", "tests/test_a.py", "passed"),
        ("tests/test_a.py::TestGroup::test_param[2]", "tests/test_a.py", "passed"),
    }
    assert not (tmp_path / ".pytest_cache").exists()  # the run leaves nothing behind


def test_surefire_junit(tmp_path: Path) -> None:
    (tmp_path / "src/test/java/com/x").mkdir(parents=True)
    (tmp_path / "src/test/java/com/x/CalcTest.java").write_text("class CalcTest {}")
    xml = ('<?xml version="1.0" encoding="UTF-8"?><testsuite name="com.x.CalcTest" tests="2" failures="1">'
           '<testcase name="adds" classname="com.x.CalcTest" time="0.012"/>'
           '<testcase name="subs" classname="com.x.CalcTest" time="1,5"><failure message="expected: 1" '
           'type="org.opentest4j.AssertionFailedError">at com.x.CalcTest.subs</failure></testcase>'
           '</testsuite>')  # fmt: skip
    results = junit(xml, str(tmp_path))
    assert [(r.id, r.file, r.outcome, r.duration) for r in results] == [
        ("com.x.CalcTest.adds", "src/test/java/com/x/CalcTest.java", "passed", 0.012),
        ("com.x.CalcTest.subs", "src/test/java/com/x/CalcTest.java", "failed", 0.0),  # a garbled time reads as 0
    ]
    with pytest.raises(ReportError, match="not JUnit XML"):
        junit("<testsuite", str(tmp_path))


def test_go_test_json_events() -> None:
    lines = [
        {"Action": "start", "Package": "example.com/m/calc"},
        {"Action": "run", "Package": "example.com/m/calc", "Test": "TestAdd"},
        {"Action": "output", "Package": "example.com/m/calc", "Test": "TestAdd", "Output": "=== RUN   TestAdd\n"},
        {"Action": "pass", "Package": "example.com/m/calc", "Test": "TestAdd", "Elapsed": 0.01},
        {"Action": "fail", "Package": "example.com/m/calc", "Test": "TestSub/negative", "Elapsed": 0.02},
        {"Action": "skip", "Package": "example.com/m", "Test": "TestRoot", "Elapsed": 0},
        {"Action": "fail", "Package": "example.com/m/calc", "Elapsed": 0.03},
    ]
    text = "go: downloading nothing\n" + "\n".join(json.dumps(e) for e in lines)
    assert [(r.id, r.file, r.outcome) for r in go_json(text, "example.com/m")] == [
        ("calc/TestAdd", "calc", "passed"),
        ("calc/TestSub/negative", "calc", "failed"),
        ("./TestRoot", ".", "skipped"),
    ]
    p = plan(["go", "test", "./..."], "go", "/tmp", ["calc/TestSub/negative", "calc/TestAdd"])
    assert p.command == ["go", "test", "./...", "-json", "-run", "^(TestAdd|TestSub)$"] and p.report is None


def test_jest_json_report(tmp_path: Path) -> None:
    report = {"numFailedTests": 1, "testResults": [{"name": str(tmp_path / "src/sum.test.js"), "status": "failed",
              "assertionResults": [
                  {"ancestorTitles": ["sum"], "fullName": "sum adds", "status": "passed", "title": "adds",
                   "duration": 3},
                  {"ancestorTitles": ["sum"], "fullName": "sum subtracts", "status": "failed", "title": "subtracts",
                   "duration": 1200, "failureMessages": ["Expected: 1"]},
                  {"fullName": "sum later", "status": "pending", "title": "later", "duration": None}]}]}  # fmt: skip
    results = jest_json(json.dumps(report), str(tmp_path))
    assert [(r.id, r.file, r.outcome, r.duration) for r in results] == [
        ("src/sum.test.js::sum adds", "src/sum.test.js", "passed", 0.003),
        ("src/sum.test.js::sum subtracts", "src/sum.test.js", "failed", 1.2),
        ("src/sum.test.js::sum later", "src/sum.test.js", "skipped", 0.0),
    ]


def test_which_framework_a_command_is() -> None:
    assert detect([sys.executable, "-m", "pytest", "-q"]) == "pytest"
    assert detect(["go", "test", "./..."]) == "go" and detect(["npx", "jest", "--ci"]) == "jest"
    assert detect(["make", "test"]) == "junit" and detect(["make", "test"], "pytest") == "pytest"


def test_flips_count_changes_between_runs_not_skips() -> None:
    def stats(outcomes: str) -> TestStats:
        return TestStats("t", None, outcomes, 0.1, 0.1, 0)

    assert (stats("PPPP").flips, stats("PPFF").flips, stats("PFPF").flips, stats("PSFSP").flips) == (0, 1, 3, 2)
    assert (stats("PSFSP").runs, stats("PSFSP").failures) == (3, 1)
