"""The notice as an e-mail (plain text + the .ics), and the two ways it leaves: SMTP or a file.

`SMTP_URL` set (`smtp://user:pass@host:587?starttls=true`, `smtps://...` for implicit TLS):
`aiosmtplib` sends it. Unset: each message is written as an `.eml` file into OUTBOX_DIR, named
by booking id and sequence only (no patient data in the name or the log line), so `make run`
shows the real message without a mail server.
"""

from __future__ import annotations

import asyncio
import logging
import os
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formataddr, formatdate
from pathlib import Path
from typing import Protocol
from urllib.parse import parse_qs, unquote, urlsplit

import aiosmtplib

from core.formats import TimeFormat, clock_label, day_label
from core.logging import mask_email
from scheduler.ics import Clinic, calendar, type_words, uid
from scheduler.outbox import Notice

log = logging.getLogger("scheduler.notices")

_SUBJECTS = {"created": "Your appointment is booked", "rescheduled": "Your appointment has moved"}
_SUBJECTS["cancelled"] = "Your appointment is cancelled"


@dataclass(frozen=True)
class MessageStyle:
    """How messages read: who sends them and how times are written."""

    clinic: Clinic
    sender: str
    time_format: TimeFormat = "12h"


def notice_ics(notice: Notice, clinic: Clinic) -> bytes:
    """The calendar file of one notice: the e-mail's attachment, and the .ics endpoint's answer."""
    return calendar(notice.booking, notice.sequence, notice.kind == "cancelled", notice.created_at, clinic)


def render(notice: Notice, style: MessageStyle) -> EmailMessage:
    """The e-mail of one notice. Its Message-ID is fixed by booking and sequence, so a copy sent
    again after a crash (see notices.py) is recognisably the same message."""
    b, clinic = notice.booking, style.clinic
    what = f"{type_words(b['appointment_type'])} at {clinic.name}"
    when = (
        f"{day_label(b['date'], year=True)}, {clock_label(b['start_time'], style.time_format)}"
        f" to {clock_label(b['end_time'], style.time_format)} ({clinic.timezone.key})"
    )
    lead = {
        "created": "Your appointment is booked.",
        "rescheduled": "Your appointment has moved to a new time.",
        "cancelled": "Your appointment is cancelled; the time is free for others.",
    }[notice.kind]
    lines = [
        f"Hello {b['patient_name']},",
        "",
        lead,
        "",
        f"What:  {what}",
        f"When:  {when}",
        f"Where: {clinic.name}",
        f"Confirmation code: {b['confirmation_code']} (booking {b['booking_id']})",
        "",
        "To change or cancel it, chat with the clinic's assistant and give this confirmation code"
        " and your e-mail address, or call the clinic.",
        "The attached calendar file updates the entry in your calendar.",
    ]
    message = EmailMessage()
    message["Subject"] = f"{_SUBJECTS[notice.kind]}: {when}"
    message["From"] = formataddr((clinic.name, style.sender))
    message["To"] = formataddr((b["patient_name"], notice.recipient))
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = f"<{notice.sequence}.{uid(notice.booking_id, clinic)}>"
    message.set_content("\n".join(lines) + "\n")
    method = "CANCEL" if notice.kind == "cancelled" else "PUBLISH"
    message.add_attachment(
        notice_ics(notice, clinic),
        maintype="text",
        subtype="calendar",
        filename=f"{notice.booking_id}.ics",
        params={"method": method},
    )
    return message


class Delivery(Protocol):
    """Hands one message on; raises on failure (the sender retries)."""

    async def deliver(self, notice: Notice, message: EmailMessage) -> None: ...


@dataclass(frozen=True)
class SmtpDelivery:
    """Over SMTP with aiosmtplib, to the server in SMTP_URL."""

    hostname: str
    port: int
    username: str | None = None
    password: str | None = None
    use_tls: bool = False
    start_tls: bool | None = None  # None: upgrade if the server offers it
    timeout: float = 30.0

    @classmethod
    def from_url(cls, url: str, timeout: float = 30.0) -> SmtpDelivery:
        """`smtp://[user:pass@]host[:port][?starttls=true|false]` or `smtps://...` (implicit TLS)."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValueError(f"SMTP_URL must look like smtp://user:pass@host:587, got scheme {parts.scheme!r}")
        query = {k: v[-1].lower() for k, v in parse_qs(parts.query).items()}
        starttls = query.get("starttls")
        implicit = parts.scheme == "smtps"
        return cls(
            hostname=parts.hostname,
            port=parts.port or (465 if implicit else 587 if starttls == "true" else 25),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            use_tls=implicit,
            start_tls=None if starttls is None or implicit else starttls in ("true", "1", "yes"),
            timeout=timeout,
        )

    async def deliver(self, notice: Notice, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self.hostname,
            port=self.port,
            username=self.username,
            password=self.password,
            use_tls=self.use_tls,
            start_tls=self.start_tls,
            timeout=self.timeout,
        )


@dataclass(frozen=True)
class FileDelivery:
    """Each message as `<booking id>-<sequence>-<kind>.eml` in `folder` (written whole, then renamed)."""

    folder: Path

    async def deliver(self, notice: Notice, message: EmailMessage) -> None:
        path = self.folder / f"{notice.booking_id}-{notice.sequence}-{notice.kind}.eml"
        await asyncio.to_thread(self._write, path, message.as_bytes())
        log.info("notice written to file", extra={"path": str(path), "to": mask_email(notice.recipient)})

    def _write(self, path: Path, data: bytes) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".eml.partial")
        partial.write_bytes(data)
        os.replace(partial, path)


def make_delivery(smtp_url: str | None, outbox_dir: Path) -> Delivery:
    return SmtpDelivery.from_url(smtp_url) if smtp_url else FileDelivery(outbox_dir)
