from __future__ import annotations

import logging

from contexten.daemon.platform.logs import RedactSecrets


def test_secret_values_never_reach_a_log_line() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "calling %s with %s", ("api", "ghp_SECRET123"), None)
    RedactSecrets(["ghp_SECRET123", ""]).filter(record)
    assert record.getMessage() == "calling api with ***"


def test_short_or_empty_values_are_not_treated_as_secrets() -> None:
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "a b c", None, None)
    RedactSecrets(["", "a"]).filter(record)
    assert record.getMessage() == "a b c"
