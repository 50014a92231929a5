"""`find_booking`, `reschedule_booking` and `cancel_booking`: a patient's own booking, after booking.

The same style as tools/scheduling.py: typed arguments, every outcome a compact JSON result
with a hint. A lookup needs the confirmation code and the e-mail the booking was made with, and
its "not found" does not say which of the two was wrong, so it never reveals whether a booking
exists. The two changes are gated for the patient's yes like `book_slot` (agent/graph.py) and
carry the agent's idempotency key (tools/context.py), so a change sent twice happens once.
"""

from typing import Any

from langchain_core.tools import BaseTool, StructuredTool

from tools import context
from tools.http import SchedulerHttpClient, ServiceReply
from tools.results import alternatives, booking_view, dump, failure
from tools.schemas import CancelBookingArgs, FindBookingArgs, RescheduleBookingArgs

NOT_FOUND_HINT = (
    "Tell the patient no booking matches that confirmation code and e-mail; ask them to check both "
    "(the code is in their confirmation). Do not guess or say which one is wrong."
)


def _refusal(reply: ServiceReply, *, moving: bool) -> dict[str, Any]:
    if reply.status in (403, 404) and "slot" not in str(reply.body.get("detail", "")).lower():
        result = failure(reply, NOT_FOUND_HINT)
        result["error"] = "not_found"
        return result
    if reply.status == 409 and moving and reply.body.get("alternatives") is not None:
        alts = alternatives(reply)
        hint = (
            f"That time was just taken; the booking is unchanged. Offer these instead: {', '.join(alts)}."
            if alts
            else "That day is now full; the booking is unchanged. Call check_availability for another day."
        )
        return {**failure(reply, hint), "alternatives": alts}
    if reply.status == 409:
        return {
            **failure(reply, "Tell the patient this booking is cancelled; offer to book a new one."),
            "error": "cancelled",
        }
    if reply.status in (400, 404):
        return failure(reply, "Fix what the message names (a past or unknown slot?) and ask the patient again.")
    return failure(reply, "Apologise and suggest trying again in a moment or calling the clinic.")


def build_manage_tools(client: SchedulerHttpClient) -> list[BaseTool]:
    """The three tools, bound to one scheduling-service client."""

    async def find_booking(confirmation_code: str, patient_email: str) -> str:
        reply = await client.lookup(confirmation_code.strip().upper(), patient_email.strip())
        if not reply.ok:
            return dump(_refusal(reply, moving=False))
        return dump(booking_view(reply.body))

    async def reschedule_booking(
        booking_id: str,
        confirmation_code: str,
        date: str,
        start_time: str,
    ) -> str:
        call = context.current()  # the agent's idempotency key and slot hold, if any
        payload = {"confirmation_code": confirmation_code, "date": date, "start_time": start_time}
        if call.hold_id:
            payload["hold_id"] = call.hold_id
        reply = await client.reschedule(booking_id, payload, idempotency_key=call.idempotency_key)
        if not reply.ok:
            return dump(_refusal(reply, moving=True))
        return dump(booking_view(reply.body))

    async def cancel_booking(booking_id: str, confirmation_code: str) -> str:
        key = context.current().idempotency_key
        reply = await client.cancel(booking_id, confirmation_code, idempotency_key=key)
        if not reply.ok:
            return dump(_refusal(reply, moving=False))
        return dump(booking_view(reply.body))

    return [
        StructuredTool.from_function(
            coroutine=find_booking,
            name="find_booking",
            description="Find the patient's booking (before moving or cancelling it).",
            args_schema=FindBookingArgs,
        ),
        StructuredTool.from_function(
            coroutine=reschedule_booking,
            name="reschedule_booking",
            description="Move a found booking to a free slot; the patient confirms first.",
            args_schema=RescheduleBookingArgs,
        ),
        StructuredTool.from_function(
            coroutine=cancel_booking,
            name="cancel_booking",
            description="Cancel a found booking; the patient confirms first.",
            args_schema=CancelBookingArgs,
        ),
    ]
