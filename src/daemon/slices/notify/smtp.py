"""Email through an SMTP relay, with the standard library's smtplib (on a worker thread: it blocks): STARTTLS
with certificate checks (a private CA through `ca_file`), a login when one is configured, one message per
notice with a plain-text body. What the relay answers maps onto the destination outcomes: 5xx, a refused
login, a certificate that does not check and a relay without STARTTLS are refusals; 4xx and network
failures are failures for now. The login never appears in a message, a log or an error."""

from __future__ import annotations

import asyncio
import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from contexten.daemon.platform.credentials import Secret
from contexten.daemon.platform.secrets import redact
from contexten.daemon.slices.notify.destinations import DeliveryFailed, DeliveryRefused, Destination
from contexten.daemon.slices.notify.port import Notice


def email_message(notice: Notice, sender: str, to: list[str]) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = f"[contexten] [{notice.severity}] {redact(notice.title)[:200]}"
    message["From"] = sender
    message["To"] = ", ".join(to)
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="contexten.local")
    facts = {"project": notice.project, "flow": notice.flow, "run": f"#{notice.run}" if notice.run else None}
    facts.update(notice.fields)
    facts["link"] = notice.link or None
    lines = [redact(notice.body), ""] if notice.body else []
    lines += [f"{k}: {redact(str(v))}" for k, v in facts.items() if v]
    message.set_content("\n".join(lines) or redact(notice.title))
    return message


class Email(Destination):
    def __init__(self, host: str, port: int, starttls: bool, ca_file: str, sender: str, to: list[str],
                 login: tuple[Secret, Secret] | None, timeout: float) -> None:  # fmt: skip
        self._host = host
        self._port = port
        self._starttls = starttls
        self._ca_file = ca_file or None
        self._sender = sender
        self._to = to
        self._login = login
        self._timeout = timeout

    async def send(self, notice: Notice) -> str:
        message = email_message(notice, self._sender, self._to)
        refused = await asyncio.to_thread(self._send, message)
        msgid = str(message["Message-ID"])
        return f"{msgid} (refused: {', '.join(sorted(refused))})" if refused else msgid

    def _send(self, message: EmailMessage) -> dict[str, tuple[int, bytes]]:
        where = f"smtp {self._host}:{self._port}"
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as relay:
                if self._starttls:
                    relay.starttls(context=ssl.create_default_context(cafile=self._ca_file))
                if self._login is not None:
                    try:
                        relay.login(self._login[0].reveal(), self._login[1].reveal())
                    except smtplib.SMTPServerDisconnected:  # some relays hang up on a failed login
                        raise DeliveryRefused(f"{where}: the relay refused the login (it hung up)") from None
                return relay.send_message(message)
        except smtplib.SMTPNotSupportedError:
            raise DeliveryRefused(f"{where}: the relay does not offer STARTTLS (or a login)") from None
        except smtplib.SMTPAuthenticationError as exc:
            raise DeliveryRefused(f"{where}: the relay refused the login ({exc.smtp_code})") from None
        except smtplib.SMTPRecipientsRefused:
            raise DeliveryRefused(f"{where}: every recipient was refused") from None
        except smtplib.SMTPResponseException as exc:  # sender refused, data refused, ...: by its code
            said = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            what = f"{where}: {exc.smtp_code} {redact(said)[:200]}"
            raise (DeliveryFailed(what) if 400 <= exc.smtp_code < 500 else DeliveryRefused(what)) from None
        except ssl.SSLCertVerificationError as exc:
            raise DeliveryRefused(f"{where}: its certificate does not check: {exc.verify_message}") from None
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"{where}: {type(exc).__name__}") from None
