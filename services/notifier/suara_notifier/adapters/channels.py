"""Alert channels. A channel either delivers, refuses for good (FAILED), or raises when it is unreachable."""

from __future__ import annotations

import smtplib
import threading
from abc import ABC, abstractmethod
from email.message import EmailMessage

from suara_kit.events import NotificationOutcome
from suara_notifier.domain.model import Alert, Delivery


class TemporaryRefusal(Exception):
    """The channel answered "not now" (SMTP 4xx). Worth a few more tries, but not forever: one mailbox that stays
    full must not hold back every alert behind it. Deliberately not an OSError, which means "unreachable"."""


class Channel(ABC):
    name: str

    @abstractmethod
    def send(self, alert: Alert) -> Delivery:
        """Deliver or refuse for good (FAILED); raises TemporaryRefusal when the server says "try later", and
        OSError when the channel cannot be reached at all (the caller retries until it can)."""


class SmtpChannel(Channel):
    """E-mail through an SMTP server (the city's mail relay; a local sink for `make run` and tests)."""

    name = "email"

    def __init__(self, host: str, port: int, sender: str, timeout_seconds: float = 15.0) -> None:
        self._host = host
        self._port = port
        self._sender = sender
        self._timeout = timeout_seconds

    def send(self, alert: Alert) -> Delivery:
        message = EmailMessage()
        message["From"] = self._sender
        message["To"] = alert.to
        message["Subject"] = alert.subject
        message["Message-ID"] = f"<{alert.message_id}@suara>"
        message.set_content(alert.body)
        try:
            with smtplib.SMTP(self._host, self._port, timeout=self._timeout) as smtp:
                refused = smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as error:
            if all(400 <= code < 500 for code, _ in error.recipients.values()):
                raise TemporaryRefusal(f"recipient deferred: {error.recipients}") from None
            return Delivery(NotificationOutcome.FAILED, f"recipient refused: {error.recipients}")
        except smtplib.SMTPResponseException as error:  # also a 421 greeting (SMTPConnectError)
            if 400 <= error.smtp_code < 500:
                raise TemporaryRefusal(f"SMTP {error.smtp_code}: {error.smtp_error!r}") from None
            return Delivery(NotificationOutcome.FAILED, f"SMTP {error.smtp_code}: {error.smtp_error!r}")
        if refused:
            return Delivery(NotificationOutcome.FAILED, f"recipient refused: {refused}")
        return Delivery(NotificationOutcome.DELIVERED, f"accepted by {self._host}:{self._port}")


class InMemoryChannel(Channel):
    name = "email"

    def __init__(self) -> None:
        self.sent: list[Alert] = []
        self._lock = threading.Lock()

    def send(self, alert: Alert) -> Delivery:
        with self._lock:
            self.sent.append(alert)
        return Delivery(NotificationOutcome.DELIVERED, "kept in memory")
