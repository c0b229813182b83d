"""Secrets kept in: every known secret is masked in log lines (tracebacks included), in connector errors,
in a child's output; children get an allow-listed environment."""

from __future__ import annotations

import logging
import sys

import pytest

from contexten.daemon.platform.credentials import Secret
from contexten.daemon.platform.failures import FailureClass
from contexten.daemon.platform.logs import RedactingFormatter
from contexten.daemon.platform.process import run_process
from contexten.daemon.platform.secrets import SECRETS, SecretRegistry, child_environment
from contexten.daemon.slices.connectors.http.errors import ConnectorError


def test_a_known_secret_is_masked_in_the_message_and_the_traceback() -> None:
    SECRETS.add("lin_api_TRACEBACKSECRET1")
    try:
        raise RuntimeError("auth failed with lin_api_TRACEBACKSECRET1")
    except RuntimeError:
        record = logging.LogRecord("x", logging.ERROR, __file__, 1, "calling %s", ("lin_api_TRACEBACKSECRET1",),
                                   sys.exc_info())  # fmt: skip
    text = RedactingFormatter("%(message)s").format(record)
    assert "lin_api_TRACEBACKSECRET1" not in text and text.count("***") >= 2 and "Traceback" in text


def test_short_values_are_not_secrets_and_the_longest_is_masked_whole() -> None:
    registry = SecretRegistry()
    registry.add("")
    registry.add("abc")
    registry.add("token1")
    registry.add("token1-and-more")
    assert registry.redact("a b c abc") == "a b c abc"
    assert registry.redact("x token1-and-more y token1") == "x *** y ***"


def test_a_loaded_token_is_masked_in_a_connector_error_that_echoes_it() -> None:
    token = Secret("ghp_ECHOEDBYTHESERVER42")
    error = ConnectorError("github", f"GET /user -> 401 Bad credentials: Authorization: Bearer {token.reveal()}",
                           FailureClass.AUTHENTICATION, 401)  # fmt: skip
    assert token.reveal() not in str(error) and "Bearer ***" in str(error)


def test_children_get_an_allow_listed_environment() -> None:
    env = {"PATH": "/usr/bin", "HOME": "/h", "LC_ALL": "C", "GITHUB_TOKEN": "t", "LINEAR_API_KEY": "k", "X": "1"}
    assert child_environment(env=env) == {"PATH": "/usr/bin", "HOME": "/h", "LC_ALL": "C"}
    assert child_environment({"CI": "true"}, secrets=("GITHUB_TOKEN",), env=env)["GITHUB_TOKEN"] == "t"


async def test_a_child_process_sees_no_token_and_its_output_is_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_CHILDMUSTNOTSEE77")
    SECRETS.add("ghp_CHILDMUSTNOTSEE77")
    result = await run_process(["sh", "-c", "echo token=${GITHUB_TOKEN:-none}; echo ghp_CHILDMUSTNOTSEE77"])
    assert result.ok and "token=none" in result.out and "ghp_CHILDMUSTNOTSEE77" not in result.out
