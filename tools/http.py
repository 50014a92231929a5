"""Async HTTP client of the scheduling service, with bounded retries of transient failures.

By default it talks to the same app in-process through httpx's ASGI transport; give it a
base URL and it talks to any host instead, unchanged.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from core.ratelimit import IN_PROCESS_CLIENT

log = logging.getLogger("tools.http")

RETRY_STATUSES = {502, 503, 504}


@dataclass(frozen=True)
class ServiceReply:
    """Status and JSON body of a service answer; status 0 means no answer at all."""

    status: int
    body: dict[str, Any]

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300


class SchedulerHttpClient:
    """The calls the tools make to the scheduling service, over one pooled httpx.AsyncClient."""

    def __init__(
        self,
        base_url: str | None = None,
        *,
        app: Any = None,
        timeout: float = 10.0,
        retries: int = 2,
        backoff: float = 0.2,
    ) -> None:
        if (base_url is None) == (app is None):
            raise ValueError("give exactly one of base_url or app")
        # In-process calls present a client host no network peer can have: the service does
        # not count the agent's own calls against one client's booking limit.
        transport = httpx.ASGITransport(app=app, client=(IN_PROCESS_CLIENT, 0)) if app is not None else None
        self._http = httpx.AsyncClient(
            base_url=(base_url or "http://scheduler.internal").rstrip("/"),
            transport=transport,
            timeout=timeout,
            # In-process there is no wire to save: gzip (the app compresses JSON when asked) would
            # only spend CPU on both ends of every tool call.
            headers={"Accept-Encoding": "identity"} if transport is not None else None,
        )
        self.retries = retries
        self.backoff = backoff

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _request(self, method: str, path: str, *, idempotent: bool, **kwargs: Any) -> ServiceReply:
        """Send with retries; a non-idempotent call is retried only if it never reached the server."""
        attempt = 0
        while True:
            try:
                response = await self._http.request(method, path, **kwargs)
            except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
                failure: str = f"cannot reach the scheduling service ({type(exc).__name__})"
            except httpx.TimeoutException as exc:
                failure = f"the scheduling service did not answer in time ({type(exc).__name__})"
                if not idempotent:  # it may have reached the server: not sent again
                    return ServiceReply(0, {"detail": failure})
            except httpx.TransportError as exc:
                failure = f"connection to the scheduling service failed ({type(exc).__name__})"
            else:
                if response.status_code not in RETRY_STATUSES or attempt >= self.retries:
                    try:
                        body = response.json()
                    except ValueError:
                        body = {"detail": response.text[:200]}
                    return ServiceReply(response.status_code, body if isinstance(body, dict) else {"data": body})
                failure = f"the scheduling service answered {response.status_code}"
            if attempt >= self.retries:
                log.warning("giving up after %d attempts: %s", attempt + 1, failure)
                return ServiceReply(0, {"detail": failure})
            attempt += 1
            await asyncio.sleep(self.backoff * 2 ** (attempt - 1))

    async def request_json(self, method: str, path: str, *, idempotent: bool, **kwargs: Any) -> ServiceReply:
        """Any other call; `idempotent` says whether a timeout may be retried."""
        return await self._request(method, path, idempotent=idempotent, **kwargs)

    async def availability(self, date: str, appointment_type: str) -> ServiceReply:
        return await self._request(
            "GET",
            "/api/calendly/availability",
            idempotent=True,
            params={"date": date, "appointment_type": appointment_type},
        )

    async def _change(self, path: str, payload: dict[str, Any], idempotency_key: str | None) -> ServiceReply:
        """A change, always under an idempotency key (the caller's, else one for this call): the
        service answers a repeat once, so a timeout is retried like any other failure."""
        headers = {"Idempotency-Key": idempotency_key or uuid.uuid4().hex}
        return await self._request("POST", path, idempotent=True, json=payload, headers=headers)

    async def book(self, payload: dict[str, Any], *, idempotency_key: str | None = None) -> ServiceReply:
        return await self._change("/api/calendly/book", payload, idempotency_key)

    async def lookup(self, confirmation_code: str, email: str) -> ServiceReply:
        payload = {"confirmation_code": confirmation_code, "email": email}
        return await self._request("POST", "/api/calendly/bookings/lookup", idempotent=True, json=payload)

    async def reschedule(
        self, booking_id: str, payload: dict[str, Any], *, idempotency_key: str | None = None
    ) -> ServiceReply:
        return await self._change(
            f"/api/calendly/bookings/{quote(booking_id, safe='')}/reschedule", payload, idempotency_key
        )

    async def cancel(
        self, booking_id: str, confirmation_code: str, *, idempotency_key: str | None = None
    ) -> ServiceReply:
        path = f"/api/calendly/bookings/{quote(booking_id, safe='')}/cancel"
        return await self._change(path, {"confirmation_code": confirmation_code}, idempotency_key)
