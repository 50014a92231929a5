"""The conversation so far, folded from the message history.

The model keeps no memory between calls (the graph's checkpointer keeps the history), so every
call replays the messages in order: patient texts update the request, the model's own tool
calls record what it asked, tool results record what the service said. A rejected booking
("User rejected the tool call for `book_slot` with reason: ...") is replayed as the patient's
next message, which is what it is.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any

from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, ToolMessage

from agent.confirmation import REJECTED
from agent.offline.clinic import asks_topic, question_only
from agent.offline.nlu import PatientDetails, Utterance, hour_readings, parse
from agent.offline.times import intersect
from agent.safety import is_safety_reply
from core.formats import hhmm, minutes

CHECK, BOOK = "check_availability", "book_slot"
DEFAULT_TYPE = "consultation"  # what a visit with no type named is (the replies say so)
FIND, MOVE, CANCEL = "find_booking", "reschedule_booking", "cancel_booking"
DETAILS = ("name", "email", "phone")
_NEW_BOOKING = re.compile(r"\bbook\b|\b(?:new|another)\s+(?:one|appointment|booking|visit)\b")  # not an old booking
# right after a booking, a new day said as a change of it ("can it be thursday", "thursday would suit
# better actually"), or a visit more ("and thursday too", "also one on monday")
_CHANGE_WORDS = re.compile(
    r"\b(?:actually|instead|rather|better|prefer\w*|suit\w*|switch\w*|change|swap|(?:can|could)\s+(?:it|we)\s+"
    r"(?:be|do)|make\s+it)\b"
)
_MORE_WORDS = re.compile(r"\b(?:also|too|as\s+well|another|one\s+more|second|extra)\b|^\W*and\b")


def page(
    slots: Sequence[str], before: Sequence[str], direction: str, shown: set[str], most: int = 5, spread: bool = False
) -> list[str]:
    """The next times to read out after `before` was offered, never one shown already: 'later'
    the ones after it, 'earlier' the ones before it (nearest first), 'more' the ones not read out
    yet. Only of an offer `spread` over the whole day, whose ends are the day's, 'later' and
    'earlier' are the ones after or before its middle; an offer from a part of the day ("tomorrow
    morning", ending at 10:45) is never answered with a time before its last one."""
    fresh = [s for s in slots if s not in shown]
    if direction in ("later", "earlier") and before:
        middle = sorted(before)[len(before) // 2]
        if direction == "later":
            found = [s for s in fresh if s > max(before)] or [s for s in fresh if spread and s > middle]
            return found[:most]
        found = [s for s in fresh if s < min(before)] or [s for s in fresh if spread and s < middle]
        return found[-most:]
    return choose_offer(fresh, most=most)


def choose_offer(slots: Sequence[str], near: str | None = None, most: int = 5) -> list[str]:
    """The times to read out: all if few, the three nearest a wanted time, else spread over the day."""
    if near:
        nearest = sorted(slots, key=lambda s: (abs(minutes(s) - minutes(near)), s))[:3]
        return sorted(nearest)
    if len(slots) <= most:
        return list(slots)
    picks = sorted({round(i * (len(slots) - 1) / (most - 1)) for i in range(most)})
    return [slots[i] for i in picks]


@dataclass(slots=True)
class Offer:
    """The last successful availability check and the times read out from it."""

    day: date
    type: str
    window: str | None
    slots: list[str]
    offered: list[str]


@dataclass(slots=True)
class Event:
    """One tool result in the current turn, with the call that produced it."""

    name: str
    args: dict[str, Any]
    result: dict[str, Any] | None  # parsed JSON; None when the content was not JSON
    text: str
    error: bool


@dataclass(slots=True)
class PatientTurn:
    """The latest patient message (or rejection reason) and the tool results since."""

    utterance: Utterance
    index: int
    rejected: bool = False
    rejected_tool: str | None = None  # the gated tool the patient said no to
    bad_pick: bool = False
    paging: str | None = None  # "later" / "earlier" / "more": the patient asked for other times
    page_from: list[str] = field(default_factory=list)  # the times offered before they asked
    no_more: bool = False  # ... and there were none (the earlier offer stands)
    past_shown: bool = False  # "later" with a bound ("i work till half 4"): that bound's times not shown yet
    events: list[Event] = field(default_factory=list)


@dataclass(kw_only=True, slots=True)
class State(PatientDetails):
    """Everything the policy needs; built fresh by `derive_state` on every model call."""

    today: date
    type: str | None = None
    type_defaulted_turn: int | None = None  # the turn in which consultation was assumed
    # the type a clinic question named before any visit was asked for ("do i have to fast before a
    # physical?"): the visit asked for next, when it names none ("then i'd like one on friday")
    asked_type: str | None = None
    day: date | None = None
    window: str | None = None
    time: tuple[str, ...] = ()  # a wanted clock time, every reading
    checked: tuple[date, str, str | None] | None = None
    returned: dict[tuple[date, str], set[str]] = field(default_factory=dict)
    shown: dict[tuple[date, str], set[str]] = field(default_factory=dict)  # times read out to the patient
    offer: Offer | None = None
    chosen: str | None = None
    bookings: list[dict[str, Any]] = field(default_factory=list)
    retry_call: tuple[str, dict[str, Any]] | None = None
    suggested: date | None = None  # a next-available day offered but not yet checked
    pending_pick: int | None = None  # "the earliest ... in the afternoon": pick 0 / -1 once checked
    turn: PatientTurn | None = None
    turns: int = 0
    pending: dict[str, tuple[str, dict[str, Any]]] = field(default_factory=dict)
    # an existing booking (agent/offline/manage.py): what to do with it, its code, as found
    manage: str | None = None  # "move" | "cancel" | "look" (found, then asked what to do)
    code: str | None = None
    found: dict[str, Any] | None = None
    not_found: bool = False  # the last lookup found nothing for that code and e-mail
    after_emergency: bool = False  # the last reply was the safety guard's emergency guidance
    shift: int | None = None  # a move "an hour later" than the found booking, until it is found

    @property
    def moving(self) -> bool:
        """A found booking is being moved: a slot choice reschedules it (no details needed)."""
        return self.manage == "move" and self.found is not None

    @property
    def missing(self) -> list[str]:
        if self.moving:
            return []
        return [d for d in DETAILS if not getattr(self, d)]

    @property
    def details_expected(self) -> bool:
        return self.chosen is not None and bool(self.missing)

    def was_returned(self, day: date, type_key: str, slot: str) -> bool:
        return slot in self.returned.get((day, type_key), set())

    def current_offer(self) -> Offer | None:
        """The offer, if it is for the day and type the patient wants now."""
        offer = self.offer
        return offer if offer and (offer.day, offer.type) == (self.day, self.type) else None

    def show(self, offer: Offer) -> None:
        self.shown.setdefault((offer.day, offer.type), set()).update(offer.offered)


def text_of(message: BaseMessage) -> str:
    """Plain text of a message whose content may be a list of blocks."""
    content = message.content
    if isinstance(content, str):
        return content
    parts = []
    for block in content:
        if isinstance(block, str):
            parts.append(block)
        elif isinstance(block, dict) and block.get("type") == "text":
            parts.append(str(block.get("text", "")))
    return " ".join(parts)


def _json(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text)
    except (TypeError, ValueError):
        return None
    return value if isinstance(value, dict) else None


def apply_utterance(state: State, u: Utterance, *, rejected: bool = False) -> PatientTurn:
    """Fold one patient message into the request and details; returns the new turn."""
    state.turns += 1
    turn = PatientTurn(utterance=u, index=state.turns, rejected=rejected)
    state.turn = turn
    if question_only(u):
        if u.type and not u.type_in_past and state.type is None and not state.bookings:
            state.asked_type = u.type
        return turn  # a front-desk question: its day and time are the question's, never the visit's
    if u.injection or u.off_topic_only or (u.aside and not rejected):
        return turn  # nothing from such a message is acted on ("oops typo" keeps what was there)
    if state.bookings and u.bye and u.has_slot_facts and names_booking(state.bookings[-1], u):
        return turn  # "cool thanks, see you thursday": the booking's own day, no new request
    if u.dom_pick is not None and not u.times and (offer := state.current_offer()) and u.dom_pick < len(offer.offered):
        # "2nd" while four times are offered: the second of them, not the 2nd of the month (a copy:
        # the parse is cached and shared)
        u = turn.utterance = replace(u, day=None, bare_weekday=False, ordinal=u.dom_pick, dom_pick=None)
    chosen_before = state.chosen
    details_before = (state.name, state.email, state.phone)

    changed = False
    moved = False  # the day or type changed: a time said for the old one no longer applies
    assumed = state.type_defaulted_turn is not None and state.checked is None  # nothing checked with it yet
    if u.type and u.type != state.type and not (u.type_in_past and state.type and not assumed):
        # (a type named only of a past visit, "they did bloods last time", keeps the one asked for)
        moved = state.type is not None and not assumed
        state.type, state.type_defaulted_turn, changed = u.type, None, True
    elif state.type is None and state.asked_type and not u.sees_doctor and _asks_for_visit(u) and state.manage is None:
        state.type = state.asked_type  # "do i need to fast for a physical?", then "one on friday"
    elif state.type is None and _asks_for_visit(u) and state.manage is None:
        # "I'd like an appointment, mornings are best": a consultation, as the reply says; kept
        # with the window while the day is asked for
        state.type, state.type_defaulted_turn = DEFAULT_TYPE, state.turns
    wanted_day = _offered_weekday(state, u) or _outside_refused(state, u)
    if wanted_day and wanted_day != state.day:
        moved = moved or state.day is not None
        state.day, changed = wanted_day, True
    elif u.earliest and not u.day and (changed or not (state.offer and u.ordinal is not None)):
        # "earliest available": search from today; "the earliest (one)" picks from the offer
        if state.day != state.today or state.window:
            state.day, state.window, changed = state.today, None, True
    elif u.yes and state.suggested and not u.has_slot_facts:
        state.day, changed = state.suggested, True
    elif u.other_day and not u.day and state.day is not None:
        # "a different day maybe?": the day is asked for again; type and window stay
        state.day, state.time, changed = None, (), True
    if moved and not u.times:
        # at the card, another type for the same slot ("should be a follow up, not a consultation")
        # keeps the time chosen; any other change lets it go
        same_slot = rejected and state.day == (state.offer.day if state.offer else None)
        # ... and "thursday same time" keeps it on the new day
        state.time = (chosen_before,) if chosen_before and (same_slot or u.same_time) else ()
    if state.offer is None and state.bookings and _another_visit(u) and not (u.code or state.manage):
        state.checked = None  # "the same for my daughter at 10:15": the day just booked, looked at again
    if state.bookings and u.for_other and not (u.name or u.code or u.manage or state.manage):
        state.name = None  # "another one for his sister": her name is asked for, the contact details stay
    offer_now = state.current_offer()
    # "anything else that morning?" pages within the window offered; another window is a new search
    same_window = u.window is None or (offer_now is not None and u.window == (offer_now.window or state.window))
    if (u.later or u.earlier or u.more) and same_window and not (u.times or changed) and offer_now:
        # "any later times?", "anything earlier?", "show me other times": the next page of that day
        turn.paging = "later" if u.later else "earlier" if u.earlier else "more"
        # after a pick, "anything later than that?" pages from the time picked
        picked = state.chosen if turn.paging != "more" and state.chosen in offer_now.offered else None
        turn.page_from = [picked] if picked else list(offer_now.offered)
        if (offer_now.window or state.window) and not u.window:
            state.window, changed = None, True  # look at the whole day
        else:
            spread = offer_now.window is None and not u.window
            offered = page(offer_now.slots, turn.page_from, turn.paging, _shown(state, offer_now), spread=spread)
            offer_now.offered, turn.no_more = offered or offer_now.offered, not offered
            state.show(offer_now)
        state.chosen = None
    elif u.later and offer_now and u.window and u.window.startswith("after ") and not (u.times or changed):
        # "any later ones? i dont finish work til half 4": the rest of the day after the bound, past
        # the times shown (never the bound inside the part of the day offered: a half hour)
        turn.paging, turn.page_from, turn.past_shown = "later", list(offer_now.offered), True
        state.window, state.time, state.chosen, changed = u.window, (), None, True
    elif (u.later or u.earlier) and not u.window:
        # with nothing offered yet, "later in the day" is the afternoon, "earlier" the morning (a
        # copy: the parse is cached and shared by every conversation that says the same words)
        u = turn.utterance = replace(u, window="morning" if u.earlier else "afternoon")
    if u.window and u.window != state.window:
        # "oh and i have a meeting at 11" after a morning was asked: the morning before 11
        window = (intersect([state.window, u.window]) if u.busy_window and state.window else None) or u.window
        state.window, state.time, changed = window, (), True
    elif u.any_time and state.window:
        state.window, changed = None, True
    if u.times:
        state.time = u.times
        known = state.returned.get((state.day, state.type), set()) if state.day and state.type else set()
        if state.window and not any(t in known for t in u.times):
            state.window, changed = None, True  # look at the whole day for that time
    if changed or u.times:
        state.chosen = None
    if changed:
        state.pending_pick = u.ordinal if u.ordinal in (0, -1) and not u.times else None

    offer = state.offer
    if offer and (offer.day, offer.type) == (state.day, state.type):
        slots_here = state.returned.get((offer.day, offer.type), set())
        if u.times:
            state.chosen = next((t for t in u.times if t in slots_here), None)
            if state.chosen is None and offer.window is None:
                offer.offered = choose_offer(offer.slots, u.times[0])
        elif u.bare_number is not None and not changed:
            match = next((t for t in hour_readings(u.bare_number) if t in slots_here), None)
            if match:
                state.chosen, state.time = match, (match,)
            elif 1 <= u.bare_number <= len(offer.offered):
                state.chosen = offer.offered[u.bare_number - 1]
            else:
                turn.bad_pick = True
        elif u.ordinal is not None and not changed:
            if -len(offer.offered) <= u.ordinal < len(offer.offered):
                state.chosen = offer.offered[u.ordinal]
            else:
                turn.bad_pick = True
        elif (u.yes or u.that_pick) and len(offer.offered) == 1 and not changed:
            state.chosen = offer.offered[0]
    elif u.bare_number is not None and state.day:
        state.time = hour_readings(u.bare_number)

    if u.name_fix and state.name and (fixed := _fix_name(state.name, *u.name_fix)):
        state.name = fixed
    elif u.name and not (state.name and " " in state.name and " " not in u.name):
        # (a full name given is kept: one word more is no correction of it, "it's Siobhan not Siobahn" is)
        one_word = state.name and " " not in state.name and " " not in u.name and u.name != state.name
        state.name = f"{state.name} {u.name}" if one_word else u.name  # "Jane", then "Roe"
    if u.email:
        state.email, state.bad_email = u.email, None
    elif u.bad_email:
        state.email, state.bad_email = None, u.bad_email
    if u.phone:
        state.phone, state.bad_phone = u.phone, None
    elif u.bad_phone:
        state.phone, state.bad_phone = None, u.bad_phone
    if u.reason:
        state.reason = u.reason
    _apply_manage(state, u)

    if rejected and state.chosen == chosen_before and (state.name, state.email, state.phone) == details_before:
        # a plain "no" at confirmation: do not book the same thing again; an aside typed there
        # ("one sec", "oops typo"), or the same time said again ("ok go ahead, 10 is fine"),
        # declined the card only as the card reads text: it is asked again; so are the details the
        # card already has, sent again ("sorry x@gmial.com should be x@gmail.com" once more)
        again = not u.no and (u.aside or chosen_before in u.times or (u.has_details and not u.has_slot_facts))
        state.chosen = state.chosen if again else None
    return turn


def _question_at_card(u: Utterance, reason: str) -> bool:
    """A front-desk question typed at a card that reads as a no only by its words: a leading
    "wait" ("wait, do you take cigna?") or cancelling as its topic ("if i need to cancel is there
    a fee?"). A plain "no, ..." still declines."""
    if not (u.cancel and not u.no) and not (u.no and reason.lower().startswith("wait")):
        return False
    return asks_topic(u)


def _fix_name(name: str, right: str, wrong: str) -> str | None:
    """`name` with the word the patient says is wrong put right, or None when it has no such word."""
    words = name.split()
    if wrong.lower() not in (w.lower() for w in words):
        return None
    return " ".join(right if w.lower() == wrong.lower() else w for w in words)


def names_booking(booking: dict[str, Any], u: Utterance) -> bool:
    """Whether the day and time the message names are the booking's own ("see you thursday",
    "see you at 9", "see you on the 31st"): a goodbye that names it asks for nothing new."""
    try:
        booked = date.fromisoformat(str(booking.get("date")))
    except ValueError:
        return False
    if u.type or u.window or (u.times and str(booking.get("start_time")) not in u.times):
        return False
    return u.day is None or u.day == booked or (u.day.weekday() == booked.weekday() and u.day < booked)


def _outside_refused(state: State, u: Utterance) -> date | None:
    """The day asked for. "not monday or tuesday (though)" and "ideally later in the week" with no
    week named refine the week being looked at ("next week" said before: its Wednesday, its
    Thursday), not the days from today."""
    if u.week_part is not None and u.day and state.day:
        day = state.day + timedelta(days=u.week_part - state.day.weekday())
        return day if day >= state.today else u.day
    if not (u.refused_days and u.day and state.day):
        return u.day
    monday = max(state.day - timedelta(days=state.day.weekday()), state.today)
    if state.day >= monday and state.day.weekday() not in u.refused_days:
        return state.day  # the day already looked at is not refused: it stands
    return next(
        (monday + timedelta(days=n) for n in range(7) if (monday + timedelta(days=n)).weekday() not in u.refused_days),
        u.day,
    )


def _offered_weekday(state: State, u: Utterance) -> date | None:
    """The day just offered when the patient names only its weekday: "monday's fine" after "closed on
    Christmas Day ... the next day with free times is Monday, December 28" is that Monday, not the
    coming one."""
    if not (u.bare_weekday and u.day):
        return None
    offered = state.offer.day if state.offer else state.suggested
    if offered is None or offered <= u.day or offered.weekday() != u.day.weekday():
        return None
    return offered


def _another_visit(u: Utterance) -> bool:
    """After a booking here: another visit like it ("the same for my daughter", "another at 2",
    "and 10:15 for Ivy Park", "can I book my wife in too, on friday"), not "thanks, see you at 9"."""
    asks = u.wants_booking or u.type or u.generic_visit or u.same_day or u.day
    return u.same or bool(u.times and (u.wants_booking or u.name)) or bool(u.for_other and asks)


def _asks_for_visit(u: Utterance) -> bool:
    """A request for a new visit (what the model answers by checking a day, or asking for one)."""
    request = u.generic_visit or u.wants_booking or u.window or u.times or u.earliest or u.day
    return bool(request) and not (u.cancel or u.manage or u.code or u.help or u.medical or u.off_topic)


def _apply_manage(state: State, u: Utterance) -> None:
    """What the message says about an existing booking: the code, and move / cancel / keep."""
    before = state.manage
    if u.code and u.code != state.code:
        state.code, state.not_found = u.code, False
        if state.found and state.found.get("confirmation_code") != u.code:
            state.found = None  # another booking
    if u.manage == "keep" or (not (u.manage or u.code) and state.found is None and _NEW_BOOKING.search(u.text.lower())):
        state.manage = None  # kept; or, nothing found yet, a new booking is asked for instead
    elif u.manage in ("move", "cancel") or (u.manage == "look" and state.manage is None):
        state.manage = u.manage
    elif (
        state.manage is None
        and (state.bookings or state.found)
        and not (u.for_other and _another_visit(u))  # "and one for my son too, same day at 10:45": a new booking
        and (
            (u.instead and (u.day or u.times))
            or u.shift is not None
            or (u.same_time and u.day)  # "same time on Friday"
            or (u.same_day and (u.times or u.window))  # "later that day, say 4"
            or _new_time_for_booking(state, u)
            or _new_day_for_booking(state, u)
        )
    ):
        state.manage = "move"  # "can I come on Friday instead?", "an hour later" after booking here
    elif u.code and state.manage is None:
        state.manage = "look"  # a code (and e-mail) on its own: find it, then ask what to do
    if state.manage and state.found is None and state.bookings and not state.code:
        state.found = state.bookings[-1]  # "cancel it" right after booking it here
        state.code = str(state.found.get("confirmation_code") or "") or None
    if state.manage == "move" and before != "move":  # a new search: only what this message says
        state.day = u.day
        state.window = u.window
        state.time = u.times
        state.offer, state.chosen, state.checked = None, None, None
    if state.manage == "move" and state.found and not u.type:
        state.type = str(state.found.get("appointment_type"))
    if state.manage == "move" and u.shift is not None:
        state.shift = u.shift
    elif state.manage == "move" and u.same_time and not u.times:
        state.shift = 0  # "same time on Friday": the booking's own time
    _apply_shift(state)
    if state.manage == "move" and before == "move" and state.day is None and _drops_move(u):
        state.manage = None  # "thanks bye", "no": the booking stays as it is
    keep_day(state, u)
    if state.manage and not u.has_slot_facts and state.found is None:
        state.chosen = None  # a slot picked for a new booking is not what an old booking's change means


def _new_time_for_booking(state: State, u: Utterance) -> bool:
    """ "Actually 2:30 would suit me better" (thanks or not) right after booking here: a new time for
    that booking. Not a pick from a new offer, not another visit ("the same for my daughter at
    10:15", "another follow-up at 2"), and not "thanks, see you at 9" (its own time, or a goodbye)."""
    if not (u.times and state.bookings and state.offer is None) or u.day or u.type:
        return False
    if _another_visit(u) or u.bye:  # "great thanks, 2:30 would be better actually" is a change
        return False
    return str(state.bookings[-1].get("start_time")) not in u.times


def _new_day_for_booking(state: State, u: Utterance) -> bool:
    """ "hmm actually thursday would be better" right after booking here: that booking on another
    day. Not another visit ("and thursday too", "a physical on monday", "for my son"), and a bare
    request ("anything free thursday?") only with words of a change."""
    if not (u.day and state.bookings and state.offer is None) or u.type or _another_visit(u):
        return False
    text = u.text.lower()
    if _MORE_WORDS.search(text) or _NEW_BOOKING.search(text):
        return False
    return _CHANGE_WORDS.search(text) is not None or not u.wants_booking


def _drops_move(u: Utterance) -> bool:
    """A message that leaves the move: thanks, bye or no, and nothing about the new slot."""
    return (u.bye or u.thanks or u.no) and not (u.has_slot_facts or u.manage or u.code or u.same_day)


def _apply_shift(state: State) -> None:
    """ "Push it back an hour": the found booking's time moved by that much, on its day."""
    if state.shift is None or state.manage != "move" or state.found is None:
        return
    start = minutes(str(state.found.get("start_time"))) + state.shift
    state.shift = None
    if 0 <= start < 24 * 60:
        state.time = (hhmm(start),)
        state.chosen = None


def keep_day(state: State, u: Utterance | None = None) -> None:
    """A move that names only a time ("push it to 4", "same day at 4pm") keeps the booking's day."""
    if state.manage != "move" or state.found is None or state.day is not None:
        return
    if state.time or (u is not None and (u.same_day or u.times)):
        try:
            state.day = date.fromisoformat(str(state.found.get("date")))
        except ValueError:
            return


def _absorb_manage(state: State, name: str, result: dict[str, Any] | None) -> None:
    ok = bool(result and result.get("ok"))
    if name == FIND:
        state.found, state.not_found = (result, False) if ok else (None, True)
        if not ok:
            state.code = None
        elif state.manage == "move" and result:
            state.type = str(result.get("appointment_type"))
            _apply_shift(state)
            keep_day(state)
        return
    if ok and result:
        state.found, state.manage = result, None
        # a booking made here and now moved or cancelled: later replies name it as it is now
        state.bookings = [result if b.get("booking_id") == result.get("booking_id") else b for b in state.bookings]
        state.chosen, state.offer, state.time = None, None, ()
    elif name == MOVE and result and result.get("error") == "slot_taken":
        state.chosen, state.checked = None, None


def _absorb_check(state: State, args: dict[str, Any], result: dict[str, Any] | None) -> None:
    if not result or not result.get("ok"):
        if result and result.get("error") == "service_unavailable":
            state.retry_call = (CHECK, args)
        state.offer = None
        if result and result.get("next_available"):
            state.suggested = date.fromisoformat(result["next_available"])
        return
    state.retry_call = None
    day = date.fromisoformat(result["date"])
    type_key = result["appointment_type"]
    slots = [s for s in result.get("slots", []) if isinstance(s, str)]
    state.returned.setdefault((day, type_key), set()).update(slots)
    if not slots:
        state.offer = None
        if result.get("next_available"):
            state.suggested = date.fromisoformat(result["next_available"])
        return
    near = state.time[0] if state.time else None
    turn = state.turn
    if turn is not None and turn.paging:
        shown = state.shown.get((day, type_key), set())
        if turn.past_shown:  # after a bound: the times not shown yet, earliest first
            offered = [s for s in slots if s not in shown][:5]
        else:
            offered = page(slots, turn.page_from, turn.paging, shown)
        turn.no_more = not offered
        offered = offered or [s for s in turn.page_from if s in slots] or choose_offer(slots)
    else:
        offered = choose_offer(slots, near)
    state.offer = Offer(day, type_key, result.get("time_of_day"), slots, offered)
    state.show(state.offer)
    if state.time:
        state.chosen = next((t for t in state.time if t in slots), None)
    elif state.pending_pick is not None:
        state.chosen = slots[state.pending_pick]
    state.pending_pick = None


def _absorb_book(state: State, args: dict[str, Any], result: dict[str, Any] | None) -> None:
    if result and result.get("ok"):
        state.bookings.append(result)
        state.chosen, state.offer, state.time, state.retry_call, state.reason = None, None, (), None, None
        return
    state.chosen = None
    if not result:
        return
    error, message = result.get("error"), str(result.get("message") or "")
    if error == "slot_taken":
        day = date.fromisoformat(args["date"])
        state.returned.get((day, args["appointment_type"]), set()).discard(args["start_time"])
        state.time, state.checked = (args["start_time"],), None
    elif error == "invalid_request":
        field_name = message.split(":", 1)[0]
        if "email" in field_name:
            state.bad_email, state.email = state.email, None
        elif "phone" in field_name:
            state.bad_phone, state.phone = state.phone, None
        elif "name" in field_name:
            state.name = None
        else:
            state.checked = None
            return
        state.chosen = args.get("start_time")  # the slot still stands; only the detail needs fixing
    elif error == "service_unavailable" and "did not answer in time" not in message:
        state.retry_call = (BOOK, args)
    elif error != "service_unavailable":
        state.checked = None


def _shown(state: State, offer: Offer) -> set[str]:
    return state.shown.get((offer.day, offer.type), set())


def derive_state(messages: Sequence[BaseMessage], today: date) -> State:
    """Replay the history into a State."""
    state = State(today=today)
    fold(state, messages)
    return state


def fold(state: State, messages: Sequence[BaseMessage]) -> None:
    """Fold these messages, in order, into `state` (the history's next ones)."""
    # what the safety guard answered is an emergency, not a request: nothing in it is acted on
    # (at a card it is a no: the guard's turn gave the held slot back)
    answered = {id(messages[i - 1]) for i in range(1, len(messages)) if is_safety_reply(messages[i])}
    today = state.today
    for message in messages:
        if id(message) in answered and isinstance(message, HumanMessage):
            apply_utterance(state, parse("", today))
            continue
        if isinstance(message, HumanMessage):
            u = parse(
                text_of(message),
                today,
                details_expected=state.details_expected,
                phone_expected=state.details_expected and not state.phone,
            )
            apply_utterance(state, u)
        elif isinstance(message, AIMessage):
            state.after_emergency = is_safety_reply(message)
            for call in message.tool_calls:
                args = dict(call.get("args") or {})
                state.pending[call.get("id") or ""] = (call["name"], args)
                if call["name"] == CHECK:
                    _record_check_call(state, args)
        elif isinstance(message, ToolMessage):
            _absorb_tool_message(state, message, emergency=id(message) in answered)


def _record_check_call(state: State, args: dict[str, Any]) -> None:
    """What the model asked the service becomes the current request (it may have moved the day)."""
    try:
        day = date.fromisoformat(str(args.get("date")))
    except ValueError:
        return
    type_key = str(args.get("appointment_type"))
    if state.type is None:
        state.type_defaulted_turn = state.turns
    state.type = type_key
    window = args.get("time_of_day")
    if window is not None and window != state.window:
        state.window = window  # a window the model chose itself becomes the request
    # a check without the window (it was full, or a time outside it was asked) keeps the patient's
    state.day, state.suggested = day, None
    state.checked = (day, type_key, state.window)


def _absorb_tool_message(state: State, message: ToolMessage, *, emergency: bool = False) -> None:
    name, args = state.pending.pop(message.tool_call_id, (message.name or "", {}))
    text = text_of(message)
    rejected = REJECTED.match(text.strip()) if message.status == "error" else None
    if rejected:
        reason = "no" if emergency else (rejected.group("reason") or "").strip()
        u = parse(reason or "no", state.today, details_expected=state.details_expected)
        tool = rejected.group("tool")
        if tool == BOOK and not u.code and u.manage == "cancel":
            u = replace(u, manage=None)  # "cancel" said to "shall I book this?" is a no, not an old booking
        if tool in (BOOK, MOVE) and not u.code and _question_at_card(u, reason):
            # "wait, do you take cigna?": a question before the yes ("if i cancel ..." no old booking)
            u = replace(u, no=False, cancel=False, manage=None)
        turn = apply_utterance(state, u, rejected=True)
        turn.rejected_tool = tool
        if tool in (MOVE, CANCEL) and not (u.has_slot_facts and tool == MOVE):
            state.manage = None  # the patient keeps the booking as it is
        return
    result = _json(text)
    if name == CHECK:
        _absorb_check(state, args, result)
    elif name == BOOK:
        _absorb_book(state, args, result)
    elif name in (FIND, MOVE, CANCEL):
        _absorb_manage(state, name, result)
    if state.turn is not None:
        state.turn.events.append(Event(name, args, result, text, message.status == "error"))
