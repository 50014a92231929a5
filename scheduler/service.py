"""The scheduling service as one object: its store, its slot data, its rules and its
background work, started and stopped together. The app that mounts it knows only this.

    service = SchedulerService.from_settings(settings, clock)
    app.include_router(service.router())      # /api/calendly
    await service.start(); ...; await service.stop()
"""

from __future__ import annotations

import logging
from datetime import date
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from starlette.concurrency import run_in_threadpool

from core.clock import Clock
from core.ratelimit import IN_PROCESS_CLIENT, MINUTE, Limit, Limiter, client_address
from core.settings import PROJECT_ROOT, Settings
from scheduler.errors import ServiceError
from scheduler.ics import Clinic
from scheduler.mailer import MessageStyle, make_delivery
from scheduler.notices import NoticeSender
from scheduler.router import build_router
from scheduler.rules import BookingRules, DayPlan
from scheduler.slots import ScheduleDataError, SlotSource
from scheduler.store import Booking, BookingStore, SqliteBookingStore, make_store

log = logging.getLogger("scheduler")


def _outbox_dir(store: BookingStore) -> Path:
    """The default OUTBOX_DIR: beside an SQLite bookings file, else (in memory, PostgreSQL) var/outbox."""
    if isinstance(store, SqliteBookingStore) and str(store.path) != ":memory:":
        return store.path.parent / "outbox"
    return PROJECT_ROOT / "var" / "outbox"


class SchedulerService:
    """The service's parts; `rules` is None while the slot data cannot be read."""

    def __init__(self, settings: Settings, clock: Clock, store: BookingStore, notices: NoticeSender) -> None:
        self.settings = settings
        self.clock = clock
        self.store = store
        self.notices = notices
        self.rules: BookingRules | None = None
        self.error: str | None = None
        self.limiter = Limiter(clock)
        self.booking_limit = Limit(
            "client-bookings", settings.limit_client_bookings_per_minute, MINUTE, "booking requests from your address"
        )

    @classmethod
    def from_settings(cls, settings: Settings, clock: Clock) -> SchedulerService:
        style = MessageStyle(Clinic(settings.clinic_name, clock.tz), settings.mail_from, settings.display_time_format)
        store = make_store(
            settings.database_url,
            settings.database_busy_seconds,
            pool_min=settings.database_pool_min,
            pool_max=settings.database_pool_max,
        )
        notices = NoticeSender(
            store,
            make_delivery(settings.smtp_url, settings.outbox_dir or _outbox_dir(store)),
            style,
            retry_seconds=settings.outbox_retry_seconds,
        )
        return cls(settings, clock, store, notices)

    def router(self, overrides: Any = None) -> APIRouter:
        """The HTTP routes (`/api/calendly/...`), bound to this service; `overrides`: the app
        whose `dependency_overrides` they honour."""
        return build_router(self.require_rules, self.notices, self.admit_booking, overrides)

    async def admit_booking(self, request: Request) -> None:
        """Count a booking-endpoint request from its client address, or raise RateLimited. The
        agent's own calls (in-process, tools/http.py) are not counted: the chat limits and the
        per-patient booking limit bound them."""
        client = client_address(request.scope.get("client"))
        if client != IN_PROCESS_CLIENT:
            self.limiter.check((self.booking_limit, client))

    async def start(self) -> None:
        await self.store.open()
        await self.notices.start()  # after the store, which creates the outbox table
        await self.reload()

    async def reload(self) -> None:
        """(Re)read the slot data; on failure keep serving and log the cause."""
        try:
            source = await run_in_threadpool(SlotSource.load, self.settings.slots_file, self.settings.schedule_file)
        except ScheduleDataError as exc:
            self.rules, self.error = None, str(exc)
            log.error("slot data unusable: %s", exc)
            return
        self.rules = BookingRules(
            source,
            self.store,
            self.clock,
            cache_seconds=self.settings.availability_cache_seconds,
            hold_minutes=self.settings.hold_minutes,
            max_upcoming=self.settings.limit_upcoming_bookings,
        )
        self.error = None

    async def stop(self) -> None:
        await self.notices.stop()
        await self.store.close()

    @property
    def healthy(self) -> bool:
        """Whether the slot data is usable."""
        return self.rules is not None

    async def require_rules(self, failure: str) -> BookingRules:
        """The rules, or a 500 with `failure` while the slot data is broken (re-read first: the
        file may have been fixed since)."""
        if self.rules is None:
            await self.reload()
        if self.rules is None:
            raise ServiceError(500, failure)
        return self.rules

    # --- snapshots for staff tools and scripts ------------------------------------------

    async def bookings(self) -> list[Booking]:
        """Every booking, oldest first."""
        return await self.store.all()

    async def day_plan(self, day: date, appointment_type: str) -> DayPlan | None:
        """The day's slots and bookings (None: no schedule that day, or no usable slot data)."""
        return await self.rules.day_plan(day, appointment_type) if self.rules else None
