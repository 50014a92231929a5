"""The next step, given the conversation state: one tool call or one reply.

Rules that keep it safe, whatever the patient types:
* book_slot only for a slot some check_availability result of this conversation returned,
  and only with name, e-mail and phone all known; never twice in one turn after a failure.
* It never asks "shall I book?": the graph's confirmation step does that when book_slot runs.
* A day that is full or has no schedule is followed by a check of the next available day
  (at most MAX_CHAIN tool results per patient turn), so the patient gets times, not a question.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from agent.offline import clinic, manage
from agent.offline.nlu import Utterance
from agent.offline.replies import TYPE_ADJ, Replies
from agent.offline.state import BOOK, CHECK, DEFAULT_TYPE, MOVE, Event, PatientTurn, State, names_booking
from core.formats import day_label

MAX_CHAIN = 4


@dataclass(frozen=True)
class Action:
    """Either a reply text or one tool call."""

    text: str | None = None
    tool: str | None = None
    args: dict[str, Any] | None = None


def _reply(text: str) -> Action:
    return Action(text=text)


def _check(day: date, type_key: str, window: str | None) -> Action:
    args: dict[str, Any] = {"date": day.isoformat(), "appointment_type": type_key}
    if window:
        args["time_of_day"] = window
    return Action(tool=CHECK, args=args)


def _wanted_key(state: State) -> tuple[date, str, str | None] | None:
    if state.day is None:
        return None
    return state.day, state.type or DEFAULT_TYPE, state.window


def _book(state: State, turn: PatientTurn) -> Action | None:
    """The book_slot call, if every guard holds."""
    offer, slot = state.offer, state.chosen
    if offer is None or slot is None or state.missing:
        return None
    if not state.was_returned(offer.day, offer.type, slot):
        return None
    if any(e.name in (BOOK, MOVE) for e in turn.events):
        return None
    if state.moving and state.found is not None:
        return _step(manage.move_call(state.found, offer.day, slot))
    args: dict[str, Any] = {
        "date": offer.day.isoformat(),
        "start_time": slot,
        "appointment_type": offer.type,
        "patient_name": state.name,
        "patient_email": state.email,
        "patient_phone": state.phone,
    }
    if state.reason:
        args["reason"] = state.reason[:500]
    return Action(tool=BOOK, args=args)


def _step(step: tuple[str, dict[str, Any]] | str) -> Action:
    return _reply(step) if isinstance(step, str) else Action(tool=step[0], args=step[1])


def decide(state: State, say: Replies, *, clinic_tool: bool = True, manage_tools: bool = True) -> Action:
    """The next action for the latest message in the history.

    A front-desk question is answered through `clinic_info` just before the turn's reply: the
    rest of the turn is decided as if the question were not there (its result is left out),
    so a question mixed with a booking request gets the times and the answer.
    """
    turn = state.turn
    if not clinic_tool or turn is None or not clinic.asks_about_clinic(turn.utterance):
        return _decide(state, say, manage_tools)
    asked = [e for e in turn.events if e.name == clinic.CLINIC]
    state.turn = replace(turn, events=[e for e in turn.events if e.name != clinic.CLINIC])
    try:
        action = _decide(state, say, manage_tools)
    finally:
        state.turn = turn
    if asked and any(e.name in (BOOK, MOVE) for e in turn.events[turn.events.index(asked[-1]) :]):
        return action  # asked at the card, answered there: the booking's reply, not the answer again
    if action.tool and action.tool not in (BOOK, MOVE):
        return action
    if not asked:  # (a question typed at the card is answered before the card is shown again)
        return Action(tool=clinic.CLINIC, args={"question": clinic.question_for(turn.utterance)})
    found = clinic.answer(asked[-1].result, say.clock)
    if action.tool:
        return replace(action, text=found)  # the answer, and the same card again
    u = turn.utterance
    if u.day or u.window or u.times or u.earliest or u.has_details:
        return _reply(f"{found} {action.text or ''}".strip())
    return _reply(found)


def _decide(state: State, say: Replies, manage_tools: bool = True) -> Action:
    turn = state.turn
    if turn is None:
        return _reply(say.greeting())
    if not turn.events:
        u = turn.utterance
        if state.after_emergency and not _asks_for_something(u):
            return _reply(say.after_emergency())  # "ok calling them now": no booking pushed
        if manage_tools and not (u.injection or u.off_topic_only) and (step := manage.on_patient(state, turn, say)):
            return _step(step)
        if u.aside and not turn.rejected:  # said at a card, the card is shown again (state.py)
            return _reply(_aside_reply(state, say))
        return _after_patient(state, turn, say)
    event = turn.events[-1]
    if event.name in manage.MANAGE_TOOLS:
        if step := manage.after(state, event, say):
            return _step(step)
        key = _wanted_key(state)  # a move with its day named: look at that day
        return _check(*key) if key else _reply(say.tool_problem())
    if event.name == CHECK:
        return _after_check(state, turn, event, say)
    if event.name == BOOK:
        return _after_book(state, turn, event, say)
    return _reply(say.tool_problem())


# --- after the patient spoke ---------------------------------------------------------------


def _asks_for_something(u: Utterance) -> bool:
    """A message that asks for a visit or about a booking (not an "ok" or "thanks")."""
    return bool(u.has_slot_facts or u.has_details or u.type or u.generic_visit or u.wants_booking or u.manage or u.code)


def _after_patient(state: State, turn: PatientTurn, say: Replies) -> Action:
    u = turn.utterance
    if u.injection:
        return _reply(say.injection())
    if u.off_topic_only:
        return _reply(say.out_of_scope(medical=u.medical))
    if u.past_day and not u.day and not _past_remark(state, u):
        return _reply(say.past_day(u.past_day))
    if u.bad_email:
        return _reply(say.bad_detail("email", u.bad_email))
    if u.bad_phone:
        return _reply(say.bad_detail("phone", u.bad_phone))
    if (u.retry or u.yes) and state.retry_call and not u.has_slot_facts:
        name, args = state.retry_call
        if name == CHECK or not state.missing:
            return Action(tool=name, args=args)
    if u.cancel and not turn.rejected and state.offer is None and state.chosen is None and not state.moving:
        return _reply(say.cancel_info())  # an existing booking: never a new availability check
    key = _wanted_key(state)
    if key and key != state.checked:
        return _check(*key)
    social = (u.bye or u.thanks or u.help or u.cancel or u.no) and not (
        u.has_details or u.has_slot_facts or u.that_pick
    )
    if state.chosen and state.offer and not social:
        if state.missing:
            return _reply(
                say.ask_details(state.offer.type, state.offer.day, state.chosen, state.missing, state.name, False)
            )
        if action := _book(state, turn):
            return action
    return _reply(_prefix(state, turn, say) + _conversation_reply(state, turn, say))


def _past_remark(state: State, u: Utterance) -> bool:
    """A past day said in a sentence about the past once a visit is asked for or booked ("she was a
    bit warm yesterday, should i bring her anyway?"): context, never a day asked for. Alone in a
    first message ("i was seen on the 3rd") it is still refused as a day."""
    return bool(u.past_day and u.past_told and not u.day and (state.bookings or state.day))


def _aside_reply(state: State, say: Replies) -> str:
    """ "oops typo", "one sec", "haha ok": nothing changes; what was asked last is asked again."""
    offer = state.current_offer()
    if state.chosen and state.offer and state.missing:
        pending = say.ask_details(state.offer.type, state.offer.day, state.chosen, state.missing, state.name, False)
    elif offer and not state.chosen:
        pending = say.which_time(offer.offered, offer.day)
    else:
        pending = ""
    puzzled = state.turn is not None and not any(ch.isalnum() for ch in state.turn.utterance.text)
    lead = "" if puzzled and pending else say.no_rush()  # a bare "?" gets the question again, plainly
    return f"{lead} {pending}".strip()


def _live_bookings(state: State) -> list[dict[str, Any]]:
    """The bookings made in this chat that still stand (not cancelled since)."""
    return [b for b in state.bookings if b.get("status") != "cancelled"]


def _closing(state: State, u: Utterance) -> dict[str, Any] | None:
    """The booking made here that an "ok perfect" / "thanks bye" / "thats all thanks" closes on:
    nothing else is in progress (no offer, no change of a booking asked for)."""
    live = _live_bookings(state)
    if not live or state.current_offer() or state.manage or state.chosen:
        return None
    if not (u.yes or u.thanks or u.bye) or u.has_details:
        return None
    booked = live[-1]
    if u.has_slot_facts and not (u.bye and names_booking(booked, u)):
        return None  # "thanks, and a follow-up friday too" asks for more
    return booked


def _conversation_reply(state: State, turn: PatientTurn, say: Replies) -> str:
    """A reply when there is nothing to look up or book."""
    u = turn.utterance
    offer = state.current_offer()
    if turn.rejected and not u.has_slot_facts and not u.has_details:
        return say.declined_at_confirmation()
    if turn.bad_pick and offer:
        return say.bad_pick(offer.offered)
    if turn.paging and offer:
        return _page_reply(state, turn, say)
    if offer and u.times and not state.chosen:
        return say.time_taken_nearby(u.times[0], offer.type, offer.day, offer.offered)
    if offer and state.time and u.bare_number is not None and not state.chosen:
        return say.time_taken_nearby(state.time[0], offer.type, offer.day, offer.offered)
    if u.has_details:
        if offer:
            return f"Thanks{', ' + state.name.split()[0] if state.name else ''}. " + say.which_time(offer.offered)
        return say.thanks_for_details(state.name, state.type, state.window)
    if (booked := _closing(state, u)) and not (u.no and not u.bye):
        return say.closing(booked, thanks=u.thanks, bye=u.bye)
    if u.yes:
        return say.which_time(offer.offered) if offer else say.what_then()
    if u.no:
        return say.declined_offer() if offer else say.goodbye() if state.bookings else say.anything_else()
    if u.thanks and not (state.day is None and (u.type or u.generic_visit)):  # "good thanks. a specialist?"
        live = _live_bookings(state)
        return say.welcome(live[-1] if live else None)
    if u.bye:
        return say.goodbye()
    if u.help:
        return say.capabilities()
    if u.cancel:
        return say.cancel_info()
    # no day yet, and something of the visit said ("another day?" after an offer counts): the day is asked
    asks_day = state.day is None and bool(
        u.type or u.generic_visit or u.wants_booking or u.window or u.times or u.earliest or u.other_day
    )
    if u.greeting and not (asks_day and u.has_slot_facts):
        return say.greeting()  # "hi, a physical, mornings are best": one "Hello!" (the prefix), the day asked
    if asks_day:
        assumed = state.type_defaulted_turn is not None and state.checked is None
        # what is kept so far: the type (unless only assumed, which the reply says), window, time
        return say.ask_day(None if assumed else state.type, state.window, state.time[0] if state.time else None)
    if offer and u.understood:
        return say.which_time(offer.offered)
    live = _live_bookings(state)
    heard = replace(u, past_day=None) if _past_remark(state, u) else u
    if live and not (heard.understood or offer or state.manage or state.chosen):
        return say.noted(live[-1])  # a remark after booking ("he was off his food yesterday")
    return say.not_understood(state.type, state.day, state.window)


# --- after a tool result -------------------------------------------------------------------


def _after_check(state: State, turn: PatientTurn, event: Event, say: Replies) -> Action:
    res, args = event.result, event.args
    if res is None:
        return _reply(say.tool_problem())
    type_key = str(args.get("appointment_type", DEFAULT_TYPE))
    day = date.fromisoformat(str(args["date"]))
    window = args.get("time_of_day")
    room = len(turn.events) < MAX_CHAIN
    nxt = date.fromisoformat(res["next_available"]) if res.get("next_available") else None
    if res.get("ok"):
        slots = res.get("slots") or []
        if slots:
            return _after_slots(state, turn, event, say)
        if window and res.get("other_free_that_day") and room:
            return _check(day, type_key, None)
        if nxt and room:
            return _check(nxt, type_key, window)
        return _reply(_prefix(state, turn, say) + _history(turn, say) + say.nothing_free(type_key, day, window, nxt))
    error = res.get("error")
    if error == "no_schedule":
        if "in the past" in str(res.get("message", "")):
            return _reply(say.past_day(day))
        if nxt and room:
            return _check(nxt, type_key, window)
        closed = bool(res.get("clinic_closed"))
        return _reply(_prefix(state, turn, say) + _history(turn, say) + say.no_schedule(type_key, day, nxt, closed))
    if error == "service_unavailable":
        return _reply(say.service_down())
    return _reply(say.tool_problem())


def _after_slots(state: State, turn: PatientTurn, event: Event, say: Replies) -> Action:
    """A check returned times: book, ask for details, or offer them."""
    offer = state.offer
    assert offer is not None
    lead = _prefix(state, turn, say) + _history(turn, say)
    if state.chosen:
        if not state.missing and (action := _book(state, turn)):
            return action
        if state.missing:
            return _reply(
                lead
                + say.ask_details(offer.type, offer.day, state.chosen, state.missing, state.name, True)
                + _type_note(state, turn, say)
            )
    if state.time and not state.chosen and not any(e.name == BOOK for e in turn.events):
        return _reply(
            lead
            + say.time_taken_nearby(state.time[0], offer.type, offer.day, offer.offered)
            + _type_note(state, turn, say)
        )
    if turn.paging:
        return _reply(lead + _page_reply(state, turn, say))
    intro = _offer_intro(turn, event, say)
    text = say.offer(offer.type, offer.day, offer.window, offer.offered, _unshown(state), intro)
    return _reply(lead + text + _type_note(state, turn, say))


def _unshown(state: State) -> int:
    """How many free times of the offer's day were not read out yet."""
    offer = state.offer
    if offer is None:
        return 0
    shown = state.shown.get((offer.day, offer.type), set())
    return sum(1 for s in offer.slots if s not in shown)


def _page_reply(state: State, turn: PatientTurn, say: Replies) -> str:
    """The answer to 'any later times?' / 'anything earlier?' / 'show me other times'."""
    offer = state.offer
    assert offer is not None and turn.paging is not None
    if turn.no_more:
        return say.no_more_times(turn.paging, offer.type, offer.day, offer.offered)
    which = {"later": "Later", "earlier": "Earlier"}.get(turn.paging, "Other")
    intro = f"{which} free {TYPE_ADJ[offer.type]} times on {day_label(offer.day)}:"
    return say.offer(offer.type, offer.day, offer.window, offer.offered, _unshown(state), intro)


def _after_book(state: State, turn: PatientTurn, event: Event, say: Replies) -> Action:
    res, args = event.result, event.args
    if res is None:
        return _reply(say.tool_problem())
    if res.get("ok"):
        return _reply(say.booked(res))
    error, message = res.get("error"), str(res.get("message") or "")
    day = date.fromisoformat(str(args["date"]))
    if error == "slot_taken":
        if len(turn.events) < MAX_CHAIN:
            return _check(day, str(args["appointment_type"]), None)
        alternatives = [a for a in res.get("alternatives", []) if isinstance(a, str)]
        tail = f" Free alternatives that day: {say.times(alternatives)}." if alternatives else " That day is now full."
        return _reply(say.slot_taken(str(args["start_time"]), day) + tail)
    if error == "invalid_request":
        field_name = message.split(":", 1)[0]
        for kind in ("email", "phone", "name"):
            if kind in field_name:
                value = args.get(f"patient_{kind}")
                return _reply(say.rejected_detail(kind, str(value) if value else None))
        return _reply(f"Sorry, the booking system refused that request: {message} Which other time would you like?")
    if error == "service_unavailable":
        return _reply(say.booking_unknown() if "did not answer in time" in message else say.service_down())
    if len(turn.events) < MAX_CHAIN:
        return _check(day, str(args["appointment_type"]), None)
    return _reply(say.tool_problem())


# --- pieces of replies ---------------------------------------------------------------------


def _prefix(state: State, turn: PatientTurn, say: Replies) -> str:
    """Greeting, medical-advice note and a read-back of 'next week' for this turn."""
    u = turn.utterance
    parts = []
    if u.greeting and u.has_slot_facts:
        parts.append("Hello!")
    if u.medical:
        parts.append(say.medical_note().strip())
    if u.day_note and u.day and (u.week_part is None or u.day == state.day):
        parts.append(u.day_note)  # (not of a part of the week moved into the week looked at)
    return " ".join(parts) + (" " if parts else "")


def _history(turn: PatientTurn, say: Replies) -> str:
    """What the earlier tool results of this turn found, before the last one."""
    out = []
    for e in turn.events[:-1]:
        res = e.result or {}
        type_key = str(e.args.get("appointment_type", DEFAULT_TYPE))
        try:
            day = date.fromisoformat(str(e.args.get("date")))
        except ValueError:
            continue
        if e.name == CHECK and res.get("ok") and not res.get("slots"):
            out.append(
                f"There are no free {TYPE_ADJ.get(type_key, type_key)} times on {day_label(day)}"
                f"{say.window_phrase(e.args.get('time_of_day'))}."
            )
        elif e.name == CHECK and res.get("error") == "no_schedule":
            out.append(say.no_appointments(type_key, day, bool(res.get("clinic_closed"))))
        elif e.name == BOOK and res.get("error") == "slot_taken":
            out.append(say.slot_taken(str(e.args.get("start_time")), day))
    return " ".join(out) + (" " if out else "")


def _offer_intro(turn: PatientTurn, event: Event, say: Replies) -> str:
    """How to introduce the offered times when earlier results of this turn moved the search."""
    earlier = turn.events[:-1]
    if not earlier:
        return ""
    day = day_label(date.fromisoformat(str(event.args["date"])))
    window = say.window_phrase(event.args.get("time_of_day"))
    type_name = TYPE_ADJ.get(str(event.args.get("appointment_type")), "")
    if earlier[-1].name == BOOK:
        return f"Free {type_name} times near it on {day}:"
    if earlier[0].args.get("date") == event.args.get("date"):
        return f"Other free {type_name} times on {day}:"
    return f"The next day with free {type_name} times{window} is {day}:"


def _type_note(state: State, turn: PatientTurn, say: Replies) -> str:
    return say.default_type_note() if state.type_defaulted_turn == turn.index else ""
