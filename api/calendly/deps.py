"""Wiring of the scheduling service: built at start-up, injected into routes."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from api.calendly.schedule import ScheduleDataError, SlotSource
from api.calendly.service import SchedulingService, ServiceError
from api.calendly.store import BookingStore, make_store
from core.clock import Clock, clinic_timezone
from core.settings import Settings

log = logging.getLogger("api.calendly")


@dataclass
class Scheduling:
    """The service's parts; `service` is None while the slot data cannot be read."""

    settings: Settings
    store: BookingStore
    service: SchedulingService | None = None
    error: str | None = None
    clock: Clock = field(init=False)

    def __post_init__(self) -> None:
        tz = clinic_timezone(self.settings.clinic_timezone, self.settings.schedule_file)
        self.clock = Clock(tz, self.settings.scheduler_now)

    async def start(self) -> None:
        await self.store.open()
        await self.reload()

    async def reload(self) -> None:
        """(Re)read the slot data; on failure keep serving and log the cause."""
        try:
            source = await run_in_threadpool(SlotSource.load, self.settings.slots_file, self.settings.schedule_file)
        except ScheduleDataError as exc:
            self.service, self.error = None, str(exc)
            log.error("slot data unusable: %s", exc)
            return
        self.service, self.error = SchedulingService(source, self.store, self.clock), None

    async def stop(self) -> None:
        await self.store.close()

    @classmethod
    def from_settings(cls, settings: Settings) -> Scheduling:
        return cls(settings, make_store(settings.database_url))


async def require_service(request: Request, failure: str) -> SchedulingService:
    """The service, or a 500 with `failure` while the slot data is broken."""
    scheduling: Scheduling = request.app.state.scheduling
    if scheduling.service is None:
        await scheduling.reload()  # the file may have been fixed since
    if scheduling.service is None:
        raise ServiceError(500, failure)
    return scheduling.service


def get_service(failure: str) -> Callable[[Request], object]:
    """A dependency that yields the service, or a 500 with `failure` while the data is broken."""

    async def dependency(request: Request) -> SchedulingService:
        return await require_service(request, failure)

    return dependency
