"""SmtpChannel against a real SMTP server (aiosmtpd) on 127.0.0.1: delivered, refused for good, or unreachable."""

from __future__ import annotations

import email
import email.policy
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from aiosmtpd.controller import Controller

from suara_kit.events import NotificationOutcome
from suara_notifier.adapters.channels import SmtpChannel, TemporaryRefusal
from suara_notifier.domain.model import Alert

SENDER = "suara@kedirikota.example"
ALERT = Alert(
    to="penghubung.dpupr@kedirikota.example",
    subject="[Suara] Aduan KDR-3Q7ZK-M0P4X untuk DPUPR (prioritas normal, batas 27-11-2026 16:00 WIB)",
    body="Yth. Admin Penghubung DPUPR,\n\nJalan Merbabu dekat perempatan Mrican berlubang besar.",
    message_id="0b8f6c1e-5a43-5d6e-9f1a-2c3d4e5f6a7b",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class KeepingHandler:
    """Accepts every mail and keeps it; `rcpt_reply` / `data_reply` make the server refuse instead."""

    rcpt_reply: str = ""
    data_reply: str = ""
    messages: list[tuple[str, list[str], bytes]] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        if self.data_reply:
            return self.data_reply
        self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted for delivery"


@dataclass
class MailServer:
    handler: KeepingHandler
    port: int


@pytest.fixture
def mail_server(request: pytest.FixtureRequest) -> Iterator[MailServer]:
    handler = KeepingHandler(**getattr(request, "param", {}))
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield MailServer(handler, port)
    finally:
        controller.stop()


def test_a_delivered_mail_has_the_subject_recipient_and_message_id(mail_server) -> None:
    delivery = SmtpChannel("127.0.0.1", mail_server.port, SENDER, timeout_seconds=5).send(ALERT)

    assert delivery.outcome is NotificationOutcome.DELIVERED
    assert delivery.detail == f"accepted by 127.0.0.1:{mail_server.port}"
    ((mail_from, rcpt_tos, content),) = mail_server.handler.messages
    assert (mail_from, rcpt_tos) == (SENDER, [ALERT.to])
    message = email.message_from_bytes(content, policy=email.policy.default)
    assert message["Subject"] == ALERT.subject
    assert message["To"] == ALERT.to
    assert message["From"] == SENDER
    assert message["Message-ID"] == f"<{ALERT.message_id}@suara>"
    assert message.get_content().replace("\r\n", "\n").rstrip("\n") == ALERT.body


@pytest.mark.parametrize("mail_server", [{"rcpt_reply": "550 5.1.1 No such user"}], indirect=True)
def test_a_recipient_refused_with_550_is_a_failed_delivery(mail_server) -> None:
    delivery = SmtpChannel("127.0.0.1", mail_server.port, SENDER, timeout_seconds=5).send(ALERT)

    assert delivery.outcome is NotificationOutcome.FAILED
    assert delivery.detail.startswith("recipient refused: ")
    assert ALERT.to in delivery.detail
    assert "550" in delivery.detail
    assert mail_server.handler.messages == []


@pytest.mark.parametrize("mail_server", [{"data_reply": "554 5.6.0 Message rejected"}], indirect=True)
def test_a_message_rejected_with_a_5xx_is_a_failed_delivery(mail_server) -> None:
    delivery = SmtpChannel("127.0.0.1", mail_server.port, SENDER, timeout_seconds=5).send(ALERT)

    assert delivery.outcome is NotificationOutcome.FAILED
    assert delivery.detail.startswith("SMTP 554: ")


@pytest.mark.parametrize(
    "mail_server",
    [{"data_reply": "451 4.3.0 Try again later"}, {"rcpt_reply": "452 4.2.2 Mailbox full"}],
    indirect=True,
    ids=["data-451", "rcpt-452"],
)
def test_a_temporary_4xx_refusal_raises_a_temporary_refusal_not_an_os_error(mail_server) -> None:
    with pytest.raises(TemporaryRefusal) as raised:
        SmtpChannel("127.0.0.1", mail_server.port, SENDER, timeout_seconds=5).send(ALERT)

    assert "45" in str(raised.value)
    # An OSError is what ConsumerLoop retries for as long as it takes: a 4xx must not be one.
    assert not isinstance(raised.value, OSError)


def test_a_closed_port_raises_os_error() -> None:
    with pytest.raises(OSError):
        SmtpChannel("127.0.0.1", free_port(), SENDER, timeout_seconds=5).send(ALERT)
