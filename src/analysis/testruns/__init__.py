"""Per-test results of a project's test run (`results.py`: JUnit XML, `go test -json`, jest `--json`), how
to ask each framework for them and for a rerun of some tests (`frameworks.py`), and which tests a change
can reach through the import graph (`selection.py`)."""
