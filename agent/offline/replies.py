"""Every sentence the offline model says, in one place, following the system prompt's rules.

Times are written the way the clinic's patients read them (`core.formats.clock_label`: "2:00 PM"
with TIME_FORMAT=12h, "14:00" with 24h), days always with their weekday ("Wednesday, November
25"), so a misheard date shows at once, and types always in words ("follow-up"). Examples name
days relative to the clinic's clock, never a day already gone.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from agent.red_flags import load_red_flags
from core.appointment_types import APPOINTMENT_TYPES, type_label
from core.formats import TimeFormat, clock_label, day_label

TYPE_ADJ = {t.key: t.label for t in APPOINTMENT_TYPES.values()} | {"specialist": "specialist"}
DETAIL_NAMES = {"name": "full name", "email": "e-mail address", "phone": "phone number"}


def a_type(type_key: str) -> str:
    return f"a {type_label(type_key)}"


def join(items: Sequence[str], last: str = "and") -> str:
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return f"{', '.join(items[:-1])} {last} {items[-1]}"


@dataclass(frozen=True)
class Replies:
    """The model's voice for one clinic: its name, its clock (for examples) and its time format."""

    clinic: str
    today: date
    time_format: TimeFormat = "12h"

    # --- pieces ------------------------------------------------------------------------

    def clock(self, hh_mm: str) -> str:
        return clock_label(hh_mm, self.time_format)

    def times(self, slots: Sequence[str], last: str = "and") -> str:
        return join([self.clock(s) for s in slots], last)

    def window_phrase(self, window: str | None) -> str:
        """' in the afternoon', ' after 3:00 PM', ' between 2:00 PM and 4:00 PM', or ''."""
        if not window:
            return ""
        if window in ("morning", "afternoon", "evening"):
            return f" in the {window}"
        if window.startswith(("after ", "before ")):
            word, _, bound = window.partition(" ")
            return f" {word} {self.clock(bound)}"
        start, _, end = window.partition("-")
        return f" between {self.clock(start)} and {self.clock(end)}"

    def example(self) -> str:
        """Two requests it understands; the dated one is always ahead of the clinic's today."""
        friday = self.today + timedelta(days=(4 - self.today.weekday()) % 7 or 7)
        return (
            f"For example: 'a follow-up next Tuesday morning' or 'a physical on {day_label(friday)} "
            f"at {self.clock('10:30')}'."
        )

    def so_far(self, type_key: str | None, day: date | None, window: str | None) -> str:
        """What it has understood of the request, as a sentence ('' when nothing)."""
        if not (type_key or day or window):
            return ""
        what = a_type(type_key) if type_key else "an appointment"
        when = f" on {day_label(day)}" if day else ""
        return f"So far I have {what}{when}{self.window_phrase(window)}."

    # --- conversation ------------------------------------------------------------------

    def greeting(self) -> str:
        return (
            f"Hello! I'm the scheduling assistant for {self.clinic}. I can check free times and book "
            "a consultation, a follow-up, a physical or a specialist visit. What would you like, and which day "
            "suits you?"
        )

    def capabilities(self) -> str:
        kinds = "; ".join(
            f"{a_type(t.key)} ({t.minutes} min): {t.description[0].lower()}{t.description[1:].rstrip('.')}"
            for t in APPOINTMENT_TYPES.values()
        )
        return (
            f"I can check free appointment times and book one for you. The appointment types are: {kinds}. "
            f"Tell me the type and a day. {self.example()}"
        )

    def not_understood(self, type_key: str | None = None, day: date | None = None, window: str | None = None) -> str:
        """Says what it did understand and asks only for what is missing."""
        known = self.so_far(type_key, day, window)
        if not known:
            return (
                "Sorry, I didn't quite understand that. I can check free times and book an appointment. "
                + self.example()
            )
        if day is None:
            return f"Sorry, I didn't quite catch that. {known} Which day would you like?"
        return (
            f"Sorry, I didn't quite catch that. {known} You can pick a time, ask for another day or time of day, "
            "or change the type."
        )

    def out_of_scope(self, medical: bool) -> str:
        if medical:
            return (
                "I'm sorry, I can't give medical advice — please ask a doctor or, if it's urgent, call emergency "
                "services. What I can do is book you an appointment to see someone. " + self.example()
            )
        return "Sorry, I can only help with booking appointments at the clinic. " + self.example()

    @staticmethod
    def medical_note() -> str:
        return "I can't give medical advice, but I can get you an appointment. "

    @staticmethod
    def injection() -> str:
        return (
            "I can't do that. I can only book one appointment at a time, for a slot you choose and then confirm, "
            "and nothing has been booked. Which day and type of appointment would you like?"
        )

    @staticmethod
    def cancel_info() -> str:
        return (
            "I can't cancel or change an existing booking in this chat — please call the clinic, and have your "
            "booking ID and confirmation code ready. I can book a new appointment for you, though."
        )

    @staticmethod
    def past_day(d: date) -> str:
        return f"{day_label(d)} is in the past. Which future date would you like instead?"

    def ask_day(self, type_key: str | None, window: str | None = None, time: str | None = None) -> str:
        when = self.window_phrase(window) if window else f" at {self.clock(time)}" if time else ""
        what = f"Sure, {a_type(type_key)}" if type_key else "Sure," if when else "Sure"
        default = (
            ""
            if type_key
            else " I'll look for a consultation unless you tell me you need a follow-up, a physical or a "
            "specialist visit."
        )
        tomorrow = self.today + timedelta(days=1)
        return (
            f"{what}{when}. Which day would you like? For example 'tomorrow' ({day_label(tomorrow)}), "
            f"'next Tuesday' or 'the {_ordinal((self.today + timedelta(days=4)).day)}'.{default}"
        )

    def what_then(self) -> str:
        return "Great — which type of appointment, and which day, would you like? " + self.example()

    @staticmethod
    def default_type_note() -> str:
        c = APPOINTMENT_TYPES["consultation"]
        return (
            f" I've assumed a consultation ({c.minutes} min, a first visit with a general practitioner) — tell me "
            "if you'd prefer a follow-up, a physical or a specialist visit."
        )

    def offer(
        self, type_key: str, d: date, window: str | None, offered: Sequence[str], more: int, lead: str = ""
    ) -> str:
        """Free times; `more` counts the free ones not read out yet (the patient can ask for them)."""
        tail = (
            f" ({more} more {'is' if more == 1 else 'are'} free{self.window_phrase(window) or ' that day'}: "
            "ask for other times to see them.)"
            if more > 0
            else ""
        )
        intro = lead or f"Here are free {TYPE_ADJ[type_key]} times on {day_label(d)}{self.window_phrase(window)}:"
        return f"{intro} {self.times(offered)}.{tail} Which one would you like?"

    def no_more_times(self, direction: str, type_key: str, d: date, offered: Sequence[str]) -> str:
        """Asked for later/earlier/other times and there are none that day."""
        which = {"later": "later", "earlier": "earlier"}.get(direction, "other")
        edge = {"later": ("latest", max), "earlier": ("earliest", min)}.get(direction)
        if edge and offered:  # the end of the day asked about, not the whole offer again
            listed = f" The {edge[0]} free time is {self.clock(edge[1](offered))}."
        else:
            listed = f" Still free: {self.times(offered)}." if offered else ""
        return (
            f"There are no {which} free {TYPE_ADJ[type_key]} times on {day_label(d)}.{listed} "
            "Would another day suit you?"
        )

    def time_taken_nearby(self, wanted: str, type_key: str, d: date, offered: Sequence[str]) -> str:
        offered = [t for t in offered if t != wanted] or offered  # a time said not free is not offered with it
        return (
            f"{self.clock(wanted)} isn't free for {a_type(type_key)} on {day_label(d)}. The closest free times are "
            f"{self.times(offered)}. Would one of those work?"
        )

    def ask_details(
        self, type_key: str, d: date, slot: str, missing: Sequence[str], known_name: str | None, free_lead: bool
    ) -> str:
        lead = f"{self.clock(slot)} on {day_label(d)} is free. " if free_lead else ""
        thanks = f"Thanks, {known_name.split()[0]}. " if known_name and "name" not in missing else ""
        still = "still " if len(missing) < 3 else ""
        wanted = join([DETAIL_NAMES[m] for m in missing])
        return (
            f"{lead}{thanks}To book {a_type(type_key)} on {day_label(d)} at {self.clock(slot)}, I {still}need "
            f"your {wanted}."
        )

    @staticmethod
    def bad_detail(kind: str, value: str) -> str:
        if kind == "email":
            return (
                f"The e-mail address '{value}' doesn't look complete. "
                "Could you give me a corrected one, like name@example.com?"
            )
        return (
            f"The phone number '{value}' doesn't look right (it needs 7 to 15 digits). Could you give me a "
            "corrected one?"
        )

    @staticmethod
    def rejected_detail(kind: str, value: str | None) -> str:
        shown = f" '{value}'" if value else ""
        if kind == "email":
            return (
                f"The booking system didn't accept the e-mail address{shown}. Could you give me a corrected "
                "e-mail address?"
            )
        if kind == "phone":
            return (
                f"The booking system didn't accept the phone number{shown} (it needs 7 to 15 digits). "
                "Could you give me a corrected phone number?"
            )
        return "The booking system didn't accept the name. Could you give me your full name again?"

    def booked(self, result: dict[str, object]) -> str:
        d = date.fromisoformat(str(result["date"]))
        return (
            f"You're booked: {a_type(str(result['appointment_type']))} on {day_label(d)} "
            f"at {self.clock(str(result['start_time']))}–{self.clock(str(result['end_time']))}. "
            f"Your booking ID is {result['booking_id']} and your confirmation code is "
            f"{result['confirmation_code']}. Is there anything else I can help with?"
        )

    def slot_taken(self, slot: str, d: date) -> str:
        return f"Sorry, {self.clock(slot)} on {day_label(d)} was just taken by someone else."

    @staticmethod
    def service_down() -> str:
        return (
            "I'm sorry — I can't reach the booking system right now, so nothing has been booked. "
            "Please try again in a moment: just say 'try again'."
        )

    @staticmethod
    def booking_unknown() -> str:
        return (
            "I'm sorry — the booking system didn't answer in time, so I can't tell whether the booking went "
            "through. Please don't book again yet: watch for the confirmation notice, or call the clinic to check."
        )

    def tool_problem(self) -> str:
        return "Sorry, something went wrong on my side with that request. " + self.example()

    def nothing_free(self, type_key: str, d: date, window: str | None, nxt: date | None) -> str:
        text = f"There are no free {TYPE_ADJ[type_key]} times on {day_label(d)}{self.window_phrase(window)}."
        if nxt:
            return text + f" The next day with free times is {day_label(nxt)}. Shall I check it?"
        return text + " Which other day would you like?"

    @staticmethod
    def no_appointments(type_key: str, d: date, closed: bool = False) -> str:
        """Why a day has no times: the clinic is closed, or it has none of that type."""
        if closed:
            return f"The clinic is closed on {day_label(d)}."
        return f"There are no {TYPE_ADJ.get(type_key, type_key)} appointments on {day_label(d)}."

    @classmethod
    def no_schedule(cls, type_key: str, d: date, nxt: date | None, closed: bool = False) -> str:
        text = cls.no_appointments(type_key, d, closed)
        if nxt:
            return text + f" The next day with free times is {day_label(nxt)}. Shall I check it?"
        return text + " The calendar isn't open that far ahead yet — which earlier day would you like?"

    def _see_you(self, booking: dict[str, object]) -> str:
        d = date.fromisoformat(str(booking["date"]))
        return f"See you on {day_label(d)} at {self.clock(str(booking['start_time']))}."

    def welcome(self, last_booking: dict[str, object] | None) -> str:
        if last_booking:
            return f"You're welcome! {self._see_you(last_booking)} Anything else I can help with?"
        return "You're welcome! Is there anything else I can help with?"

    def noted(self, booking: dict[str, object]) -> str:
        """After a booking, a remark with nothing to act on ("she was a bit warm yesterday, just so
        you know"): it is heard, and the booking stands."""
        return f"Thanks for letting us know. {self._see_you(booking)} Is there anything else I can help with?"

    def closing(self, booking: dict[str, object], *, thanks: bool, bye: bool) -> str:
        """After a booking, "thanks bye" / "perfect cheers": a goodbye that names it, no question."""
        lead = "You're welcome!" if thanks else "Goodbye!" if bye else "Great!"
        return f"{lead} {self._see_you(booking)} Take care!"

    @staticmethod
    def no_rush() -> str:
        return "No problem, take your time."

    @staticmethod
    def after_emergency() -> str:
        """After the safety guard's guidance ("ok calling them now"): no booking is pushed."""
        number = load_red_flags().emergency_number
        return f"OK. Please don't wait: call {number} now or go to the nearest emergency room. Take care."

    @staticmethod
    def goodbye() -> str:
        return "Goodbye, and take care!"

    @staticmethod
    def declined_at_confirmation() -> str:
        return (
            "No problem — I haven't booked anything. What would you like to change: the day, the time, "
            "the appointment type or your details?"
        )

    @staticmethod
    def declined_offer() -> str:
        return "No problem. Would another day, or a different time of day, suit you better?"

    @staticmethod
    def anything_else() -> str:
        return "All right. Is there anything else I can help you with?"

    def which_time(self, offered: Sequence[str], d: date | None = None) -> str:
        on = f" on {day_label(d)}" if d else ""
        return f"Which time would you like{on}: {self.times(offered, 'or')}?"

    def bad_pick(self, offered: Sequence[str]) -> str:
        count = len(offered)
        return f"I offered {count} time{'s' if count != 1 else ''}: {self.times(offered)}. Which one would you like?"

    def thanks_for_details(self, name: str | None, type_key: str | None = None, window: str | None = None) -> str:
        """Details came before the request: ask only for what is still missing."""
        first = f", {name.split()[0]}" if name else ""
        if type_key:
            return f"Thanks{first}. " + self.ask_day(type_key, window)
        return f"Thanks{first}. Which day and type of appointment would you like? " + self.example()


def _ordinal(n: int) -> str:
    suffix = "th" if 11 <= n % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"
