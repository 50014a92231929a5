"""`check_availability` and `book_slot`: LangChain tools over the scheduling service.

Every outcome, including a refusal or an unreachable service, comes back as a compact JSON
result that says what happened and what to try next; the tools never raise into the turn.

No `from __future__ import annotations` here: LangChain resolves a tool function's type hints on
every call (looking for a RunnableConfig parameter), and string annotations cost it about 0.1 ms
per call to evaluate; real ones a sixth of that.
"""

from typing import Any

from langchain_core.tools import BaseTool, StructuredTool

from core.formats import day_label, time_window
from tools import context
from tools.http import SchedulerHttpClient
from tools.results import alternatives, booking_view, dump, failure
from tools.schemas import BookSlotArgs, CheckAvailabilityArgs


def build_tools(client: SchedulerHttpClient) -> list[BaseTool]:
    """The two tools, bound to one scheduling-service client."""

    async def check_availability(date: str, appointment_type: str, time_of_day: str | None = None) -> str:
        reply = await client.availability(date, appointment_type)
        if not reply.ok:
            nxt = reply.body.get("next_available") if reply.status == 404 else None
            result: dict[str, Any] = failure(
                reply,
                f"Offer {day_label(nxt)} ({nxt}) instead and check it."
                if nxt
                else "Ask the patient for another date."
                if reply.status == 404
                else "Fix the arguments (see message) and call again.",
            )
            result["next_available"] = nxt
            if reply.status == 404 and reply.body.get("clinic_closed"):
                result["clinic_closed"] = True  # no appointment of any type that day (a Sunday, Christmas)
            return dump(result)
        earliest, latest = time_window(time_of_day)
        free = [s["start_time"] for s in reply.body["available_slots"]]
        matching = [t for t in free if earliest <= t < latest]
        nxt = reply.body.get("next_available")
        result = {
            "ok": True,
            "date": date,
            "day": day_label(date),
            "appointment_type": appointment_type,
            "time_of_day": time_of_day,
            "slots": matching,
            "other_free_that_day": len(free) - len(matching) if time_of_day else None,
            "next_available": nxt,
        }
        if not matching:
            result["hint"] = (
                f"Nothing free {time_of_day or 'that day'}; "
                + (f"{len(free)} other slots are free that day. " if free else "")
                + (
                    f"Next day with free slots: {day_label(nxt)} ({nxt})."
                    if nxt
                    else "No later free day in the schedule."
                )
            )
        return dump(result)

    async def book_slot(
        date: str,
        start_time: str,
        appointment_type: str,
        patient_name: str,
        patient_email: str,
        patient_phone: str,
        reason: str | None = None,
    ) -> str:
        call = context.current()  # the agent's idempotency key and slot hold, if any
        payload: dict[str, Any] = {
            "appointment_type": appointment_type,
            "date": date,
            "start_time": start_time,
            "patient": {"name": patient_name, "email": patient_email, "phone": patient_phone},
            "reason": reason,
        }
        if call.hold_id:
            payload["hold_id"] = call.hold_id
        reply = await client.book(payload, idempotency_key=call.idempotency_key)
        if reply.ok:
            return dump(booking_view(reply.body))
        if reply.status == 409 and reply.body.get("reason") == "upcoming_limit":
            hint = (
                "Tell the patient what the message says: they hold the most upcoming bookings allowed, so nothing "
                "was booked. They can cancel one first or call the clinic. Do not offer other times."
            )
        elif reply.status == 409:
            alts = alternatives(reply)
            hint = (
                f"Tell the patient that time was just taken and offer these instead: {', '.join(alts)}."
                if alts
                else "That day is now full: call check_availability for another day."
            )
        elif reply.status == 400:
            hint = "Ask the patient to correct the detail named in the message, then book again after they confirm."
        else:
            hint = "Call check_availability and offer a slot it returns."
        result = failure(reply, hint)
        if reply.body.get("reason") == "upcoming_limit":
            result["error"] = "too_many_upcoming"
        elif reply.status == 409:
            result["alternatives"] = alternatives(reply)
        return dump(result)

    return [
        StructuredTool.from_function(
            coroutine=check_availability,
            name="check_availability",
            description="List the free slots of one appointment type on one day (clinic-local, 24-hour times). "
            "Always call this before offering times; offer only times it returns.",
            args_schema=CheckAvailabilityArgs,
        ),
        StructuredTool.from_function(
            coroutine=book_slot,
            name="book_slot",
            description="Book one free slot for a patient. Needs the patient's name, e-mail and phone. "
            "The patient is asked to confirm before it runs.",
            args_schema=BookSlotArgs,
        ),
    ]
