"""Every sentence the offline model says, in one place, following the system prompt's rules.

Times are always written in one 24-hour style ("9:00", "14:30") and days always with their
weekday ("Wednesday, November 25"), so a misheard date shows at once.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from agent.offline.times import say
from core.appointment_types import APPOINTMENT_TYPES
from core.formats import day_label

TYPE_NAMES = {t.key: t.label for t in APPOINTMENT_TYPES.values()}
TYPE_ADJ = {**TYPE_NAMES, "specialist": "specialist"}  # "free specialist times", "no specialist appointments"
EXAMPLE = "For example: 'a follow-up next Tuesday morning' or 'a physical on Friday, November 27 at 10:30'."
DETAIL_NAMES = {"name": "full name", "email": "e-mail address", "phone": "phone number"}


def a_type(type_key: str) -> str:
    name = TYPE_NAMES.get(type_key, type_key)
    return f"a {name}"


def window_phrase(window: str | None) -> str:
    """' in the afternoon', ' after 15:00', ' between 14:00 and 16:00', or ''."""
    if not window:
        return ""
    if window in ("morning", "afternoon", "evening"):
        return f" in the {window}"
    if window.startswith(("after ", "before ")):
        word, _, bound = window.partition(" ")
        return f" {word} {say(bound)}"
    start, _, end = window.partition("-")
    return f" between {say(start)} and {say(end)}"


def join(items: Sequence[str], last: str = "and") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


def times(slots: Sequence[str]) -> str:
    return join([say(s) for s in slots], "and")


def greeting(clinic: str) -> str:
    return (
        f"Hello! I'm the scheduling assistant for {clinic}. I can check free times and book "
        "a consultation, a follow-up, a physical or a specialist visit. What would you like, and which day suits you?"
    )


def capabilities() -> str:
    kinds = "; ".join(
        f"{a_type(t.key)} ({t.minutes} min): {t.description[0].lower()}{t.description[1:].rstrip('.')}"
        for t in APPOINTMENT_TYPES.values()
    )
    return (
        f"I can check free appointment times and book one for you. The appointment types are: {kinds}. "
        f"Tell me the type and a day. {EXAMPLE}"
    )


def not_understood() -> str:
    return "Sorry, I didn't quite understand that. I can check free times and book an appointment. " + EXAMPLE


def out_of_scope(medical: bool) -> str:
    if medical:
        return (
            "I'm sorry, I can't give medical advice — please ask a doctor or, if it's urgent, call emergency services. "
            "What I can do is book you an appointment to see someone. " + EXAMPLE
        )
    return "Sorry, I can only help with booking appointments at the clinic. " + EXAMPLE


def medical_note() -> str:
    return "I can't give medical advice, but I can get you an appointment. "


def injection() -> str:
    return (
        "I can't do that. I can only book one appointment at a time, for a slot you choose and then confirm, "
        "and nothing has been booked. Which day and type of appointment would you like?"
    )


def cancel_info() -> str:
    return (
        "I can't cancel or change an existing booking in this chat — please call the clinic, and have your booking "
        "ID and confirmation code ready. I can book a new appointment for you, though."
    )


def past_day(d: date) -> str:
    return f"{day_label(d)} is in the past. Which future date would you like instead?"


def ask_day(type_key: str | None, when: str = "") -> str:
    what = f"Sure, {a_type(type_key)}" if type_key else "Sure," if when else "Sure"
    default = (
        ""
        if type_key
        else (
            " I'll look for a consultation unless you tell me you need a follow-up, a physical or a specialist visit."
        )
    )
    return f"{what}{when}. Which day would you like? For example 'tomorrow', 'next Tuesday' or 'November 27'.{default}"


def what_then() -> str:
    return "Great — which type of appointment, and which day, would you like? " + EXAMPLE


def default_type_note() -> str:
    c = APPOINTMENT_TYPES["consultation"]
    return (
        f" I've assumed a consultation ({c.minutes} min, a first visit with a general practitioner) — tell me if you'd "
        "prefer a follow-up, a physical or a specialist visit."
    )


def offer(type_key: str, d: date, window: str | None, offered: Sequence[str], total: int, lead: str = "") -> str:
    extra = total - len(offered)
    more = (
        f" ({extra} more {'is' if extra == 1 else 'are'} free{window_phrase(window) or ' that day'}.)"
        if extra > 0
        else ""
    )
    intro = lead or f"Here are free {TYPE_ADJ[type_key]} times on {day_label(d)}{window_phrase(window)}:"
    return f"{intro} {times(offered)}.{more} Which one would you like?"


def time_taken_nearby(wanted: str, type_key: str, d: date, offered: Sequence[str]) -> str:
    return (
        f"{say(wanted)} isn't free for {a_type(type_key)} on {day_label(d)}. The closest free times are "
        f"{times(offered)}. Would one of those work?"
    )


def ask_details(
    type_key: str, d: date, slot: str, missing: Sequence[str], known_name: str | None, free_lead: bool
) -> str:
    lead = f"{say(slot)} on {day_label(d)} is free. " if free_lead else ""
    thanks = f"Thanks, {known_name.split()[0]}. " if known_name and "name" not in missing else ""
    still = "still " if len(missing) < 3 else ""
    wanted = join([DETAIL_NAMES[m] for m in missing])
    return f"{lead}{thanks}To book {a_type(type_key)} on {day_label(d)} at {say(slot)}, I {still}need your {wanted}."


def bad_detail(kind: str, value: str) -> str:
    if kind == "email":
        return (
            f"The e-mail address '{value}' doesn't look complete. "
            "Could you give me a corrected one, like name@example.com?"
        )
    return (
        f"The phone number '{value}' doesn't look right (it needs 7 to 15 digits). Could you give me a corrected one?"
    )


def rejected_detail(kind: str, value: str | None) -> str:
    shown = f" '{value}'" if value else ""
    if kind == "email":
        return (
            f"The booking system didn't accept the e-mail address{shown}. Could you give me a corrected e-mail address?"
        )
    if kind == "phone":
        return (
            f"The booking system didn't accept the phone number{shown} (it needs 7 to 15 digits). "
            "Could you give me a corrected phone number?"
        )
    return "The booking system didn't accept the name. Could you give me your full name again?"


def booked(result: dict[str, object]) -> str:
    d = date.fromisoformat(str(result["date"]))
    return (
        f"You're booked: {a_type(str(result['appointment_type']))} on {day_label(d)} "
        f"at {say(str(result['start_time']))}–{say(str(result['end_time']))}. "
        f"Your booking ID is {result['booking_id']} and your confirmation code is "
        f"{result['confirmation_code']}. Is there anything else I can help with?"
    )


def slot_taken(slot: str, d: date) -> str:
    return f"Sorry, {say(slot)} on {day_label(d)} was just taken by someone else."


def service_down() -> str:
    return (
        "I'm sorry — I can't reach the booking system right now, so nothing has been booked. "
        "Please try again in a moment: just say 'try again'."
    )


def booking_unknown() -> str:
    return (
        "I'm sorry — the booking system didn't answer in time, so I can't tell whether the booking went through. "
        "Please don't book again yet: watch for the confirmation notice, or call the clinic to check."
    )


def tool_problem() -> str:
    return "Sorry, something went wrong on my side with that request. " + EXAMPLE


def nothing_free(type_key: str, d: date, window: str | None, nxt: date | None) -> str:
    text = f"There are no free {TYPE_ADJ[type_key]} times on {day_label(d)}{window_phrase(window)}."
    if nxt:
        return text + f" The next day with free times is {day_label(nxt)}. Shall I check it?"
    return text + " Which other day would you like?"


def no_schedule(type_key: str, d: date, nxt: date | None) -> str:
    text = f"There are no {TYPE_ADJ[type_key]} appointments on {day_label(d)}."
    if nxt:
        return text + f" The next day with free times is {day_label(nxt)}. Shall I check it?"
    return text + " The calendar isn't open that far ahead yet — which earlier day would you like?"


def welcome(last_booking: dict[str, object] | None) -> str:
    if last_booking:
        d = date.fromisoformat(str(last_booking["date"]))
        return (
            f"You're welcome! See you on {day_label(d)} at {say(str(last_booking['start_time']))}. "
            "Anything else I can help with?"
        )
    return "You're welcome! Is there anything else I can help with?"


def goodbye() -> str:
    return "Goodbye, and take care!"


def declined_at_confirmation() -> str:
    return (
        "No problem — I haven't booked anything. What would you like to change: the day, the time, "
        "the appointment type or your details?"
    )


def declined_offer() -> str:
    return "No problem. Would another day, or a different time of day, suit you better?"


def anything_else() -> str:
    return "All right. Is there anything else I can help you with?"


def which_time(offered: Sequence[str]) -> str:
    return f"Which time would you like: {join([say(s) for s in offered], 'or')}?"


def bad_pick(offered: Sequence[str]) -> str:
    return (
        f"I offered {len(offered)} time{'s' if len(offered) != 1 else ''}: {times(offered)}. Which one would you like?"
    )


def thanks_for_details(name: str | None) -> str:
    first = f", {name.split()[0]}" if name else ""
    return f"Thanks{first}. Which day and type of appointment would you like? " + EXAMPLE
