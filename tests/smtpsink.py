"""A real SMTP server on 127.0.0.1 (aiosmtpd) that keeps what it receives, and can refuse."""

import email
import socket
import threading
import time
from email import policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller


class SinkHandler:
    """Accepts every message, except that the next `refuse` ones get a 451 at DATA."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.refuse = 0
        self.refused = 0
        self._lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope) -> str:
        with self._lock:
            if self.refuse:
                self.refuse -= 1
                self.refused += 1
                return "451 4.3.0 Mailbox temporarily unavailable, try again later"
            self.messages.append(email.message_from_bytes(envelope.content, policy=policy.default))
        return "250 2.0.0 Queued"

    def wait_for(self, count: int, timeout: float = 30) -> list[EmailMessage]:
        """Wait until at least count messages arrived; return them all."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return list(self.messages)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class SmtpSink:
    """Start with start(), stop with stop(); host, port and handler for the test."""

    def __init__(self) -> None:
        self.handler = SinkHandler()
        self.host, self.port = "127.0.0.1", free_port()
        self._controller = Controller(self.handler, hostname=self.host, port=self.port)

    def start(self) -> "SmtpSink":
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()
