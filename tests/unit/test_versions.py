"""Version order per ecosystem and the update steps dependency_management groups by (issue 15)."""

from __future__ import annotations

import json
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from contexten.analysis.deps.model import NPM, PYPI
from contexten.analysis.deps.versions import newest_by_step, parse, step

REGISTRIES = Path(__file__).parents[1] / "fixtures" / "registries"


def test_semver_order_puts_prereleases_before_their_release() -> None:
    order = [
        "1.0.0-alpha",
        "1.0.0-alpha.1",
        "1.0.0-alpha.beta",
        "1.0.0-beta",
        "1.0.0-beta.2",
        "1.0.0-beta.11",
        "1.0.0-rc.1",
        "1.0.0",
        "1.0.1",
        "1.10.0",
        "v2.0.0",
    ]  # SemVer 2.0's own example, and a Go `v`
    parsed = [parse(NPM, v) for v in order]
    assert all(p is not None for p in parsed)
    assert parsed == sorted(parsed)  # type: ignore[type-var]
    assert parse(NPM, "latest") is None and parse(PYPI, "not a version") is None


@given(st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(0, 50)),
       st.tuples(st.integers(0, 50), st.integers(0, 50), st.integers(0, 50)))  # fmt: skip
def test_semver_compares_as_its_numbers(a: tuple[int, int, int], b: tuple[int, int, int]) -> None:
    va, vb = parse(NPM, ".".join(map(str, a))), parse(NPM, ".".join(map(str, b)))
    assert va is not None and vb is not None
    assert (va < vb) == (a < b) and (va == vb) == (a == b)


def test_steps_follow_semver_with_zero_major_breaking_on_minor() -> None:
    def s(a: str, b: str) -> str:
        va, vb = parse(NPM, a), parse(NPM, b)
        assert va is not None and vb is not None
        return step(va, vb)

    assert (s("1.2.3", "1.2.9"), s("1.2.3", "1.5.0"), s("1.2.3", "2.0.0")) == ("patch", "minor", "major")
    assert (s("0.4.1", "0.4.2"), s("0.4.1", "0.5.0")) == ("patch", "major")


def test_newest_per_step_from_the_recorded_pypi_answer_skips_prereleases() -> None:
    celery = list(json.loads((REGISTRIES / "pypi-celery.json").read_text())["releases"])
    assert newest_by_step(PYPI, "4.3.0", celery) == {"minor": "4.4.0", "major": "4.4.0"}
    assert newest_by_step(PYPI, "4.2.0", celery) == {"patch": "4.2.2", "minor": "4.4.0", "major": "4.4.0"}
    assert newest_by_step(PYPI, "3.1.24", celery) == {
        "patch": "3.1.26.post2",
        "minor": "3.1.26.post2",
        "major": "4.4.0",
    }
    assert newest_by_step(PYPI, "4.4.0", celery) == {}  # nothing newer (4.4.0rc5 is older and a pre-release)


def test_newest_per_step_from_the_recorded_npm_packument() -> None:
    lodash = list(json.loads((REGISTRIES / "npm-lodash.json").read_text())["versions"])
    assert newest_by_step(NPM, "4.17.15", lodash) == {"patch": "4.17.21", "minor": "4.17.21", "major": "4.17.21"}
    assert newest_by_step(NPM, "4.14.0", lodash) == {"patch": "4.14.2", "minor": "4.17.21", "major": "4.17.21"}
