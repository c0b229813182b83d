"""Console tests: an unexpected error fails the test (the console's own safety net would survive it)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from contexten.tui.app import ContextenApp


@pytest.fixture(autouse=True)
def errors_fail_tests() -> Iterator[None]:
    ContextenApp.survive_errors = False
    yield
    ContextenApp.survive_errors = True
