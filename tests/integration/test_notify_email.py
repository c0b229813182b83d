"""The email receiver against a real SMTP server on 127.0.0.1 (aiosmtpd), with STARTTLS under a throwaway CA
(trustme) and a login: the message arrives with its subject, sender and recipients; a wrong password and a
certificate from another CA are refusals that never carry the password."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path
from typing import Any

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from contexten.daemon.platform.credentials import Secret
from contexten.daemon.slices.notify.destinations import DeliveryRefused
from contexten.daemon.slices.notify.port import Notice
from contexten.daemon.slices.notify.smtp import Email

PASSWORD = "relay-pass-5d1c"


@dataclass
class Relay:
    port: int
    ca_file: Path
    received: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _authenticator(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == b"bot" and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok)


@pytest.fixture
def relay(tmp_path: Path) -> Iterator[Relay]:
    ca = trustme.CA()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(context)
    ca.cert_pem.write_to_path(str(tmp_path / "ca.pem"))
    handler = Relay(_free_port(), tmp_path / "ca.pem")
    controller = Controller(handler, hostname="127.0.0.1", port=handler.port, tls_context=context,
                            require_starttls=True, authenticator=_authenticator, auth_require_tls=True)  # fmt: skip
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


def _email(relay: Relay, password: str, ca_file: Path) -> Email:
    return Email("127.0.0.1", relay.port, True, str(ca_file), "contexten@example.org", ["oncall@example.org"],
                 (Secret("bot"), Secret(password)), timeout=10)  # fmt: skip


NOTICE = Notice("run #4 failed", "the gate said no", "critical", "run.failed", "api", "start", 4)


async def test_a_notice_arrives_over_starttls_with_a_login(relay: Relay) -> None:
    msgid = await _email(relay, PASSWORD, relay.ca_file).send(NOTICE)
    [(sender, to, content)] = relay.received
    assert (sender, to) == ("contexten@example.org", ["oncall@example.org"])
    mail = message_from_bytes(content)
    assert mail["Subject"] == "[contexten] [critical] run #4 failed"
    assert mail["Message-ID"] == msgid
    assert "the gate said no" in mail.get_payload(decode=True).decode()  # type: ignore[union-attr]


async def test_a_wrong_password_is_a_refusal_that_does_not_carry_it(relay: Relay) -> None:
    with pytest.raises(DeliveryRefused) as refused:
        await _email(relay, "wrong-pass-77aa", relay.ca_file).send(NOTICE)
    assert "login" in str(refused.value) and "wrong-pass-77aa" not in str(refused.value)
    assert relay.received == []


async def test_a_certificate_from_another_ca_is_refused(relay: Relay, tmp_path: Path) -> None:
    trustme.CA().cert_pem.write_to_path(str(tmp_path / "other.pem"))
    with pytest.raises(DeliveryRefused, match="certificate does not check"):
        await _email(relay, PASSWORD, tmp_path / "other.pem").send(NOTICE)
    assert relay.received == []
