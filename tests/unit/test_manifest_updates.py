"""Editing a manifest to a newer version (issue 15): only the version text changes, a range keeps its
operator, and a line that no longer says what was read is left alone."""

from __future__ import annotations

from contexten.analysis.deps.model import NPM, PYPI, Dependency
from contexten.analysis.deps.updates import Update, apply


def test_pins_and_ranges_edited_in_place() -> None:
    text = "celery==4.3.0  # keep me\nluigi == 3.5.0\nclick>=8\n"
    updates = [Update(Dependency(PYPI, "celery", "4.3.0", "==4.3.0", "r", 1), "4.4.0", "minor"),
               Update(Dependency(PYPI, "luigi", "3.5.0", "==3.5.0", "r", 2), "3.5.2", "patch")]  # fmt: skip
    edited, done = apply(text, updates)
    assert edited == "celery==4.4.0  # keep me\nluigi == 3.5.2\nclick>=8\n" and done == updates
    pkg = '{\n  "dependencies": {\n    "lodash": "^4.17.15",\n    "lodash.pick": "4.4.0"\n  }\n}\n'
    lodash = Update(Dependency(NPM, "lodash", "4.17.15", "^4.17.15", "package.json", 3), "4.17.21", "patch")
    edited, done = apply(pkg, [lodash])
    assert edited == pkg.replace("^4.17.15", "^4.17.21") and done == [lodash]
    poetry = '[tool.poetry.dependencies]\ncelery = { version = "4.3.0", extras = ["redis"] }\n'
    celery = Update(Dependency(PYPI, "celery", "4.3.0", "4.3.0", "pyproject.toml", 2), "4.4.0", "minor")
    assert apply(poetry, [celery])[0] == poetry.replace('"4.3.0"', '"4.4.0"')


def test_a_line_that_moved_is_not_guessed_at() -> None:
    stale = Update(Dependency(PYPI, "celery", "4.3.0", "==4.3.0", "r", 2), "4.4.0", "minor")
    assert apply("celery==4.3.0\nluigi==3.5.0\n", [stale]) == ("celery==4.3.0\nluigi==3.5.0\n", [])
    beyond = Update(Dependency(PYPI, "celery", "4.3.0", "==4.3.0", "r", 9), "4.4.0", "minor")
    assert apply("celery==4.3.0\n", [beyond])[1] == []
