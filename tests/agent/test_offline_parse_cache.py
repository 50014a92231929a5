"""The reader's cache is shared by every conversation: folding a message never changes its reading.

`nlu.parse` is cached (the model replays the whole history on every call), so the Utterance it
returns is the same object for every conversation in the process that says the same words on the
same day. A fold that wrote into it would leak one conversation's context into another's reading
("any later times?" with nothing offered is the afternoon in one chat, and then in every other).
"""

from __future__ import annotations

import dataclasses
from datetime import date

from langchain_core.messages import AIMessage, HumanMessage, ToolMessage

from agent.offline.nlu import _parse, parse
from agent.offline.state import State, apply_utterance, derive_state

TODAY = date(2026, 11, 23)


def fresh(text: str, **flags: bool) -> dict[str, object]:
    """The reading of `text` as an uncached parse gives it."""
    return dataclasses.asdict(
        _parse.__wrapped__(text, TODAY, flags.get("details_expected", False), flags.get("phone_expected", False))
    )


def test_later_with_nothing_offered_reads_the_afternoon_in_that_chat_only() -> None:
    state = State(today=TODAY)
    turn = apply_utterance(state, parse("any later times?", TODAY))
    assert state.window == "afternoon"
    assert turn.utterance.window == "afternoon"  # the turn the policy reads says what was understood
    # ... while the reading every other conversation gets stays as the words say
    assert parse("any later times?", TODAY).window is None
    assert dataclasses.asdict(parse("any later times?", TODAY)) == fresh("any later times?")


def test_cancel_said_at_a_booking_card_leaves_the_shared_reading_alone() -> None:
    call = {"name": "book_slot", "args": {}, "id": "call_1", "type": "tool_call"}
    history = [
        HumanMessage("a follow-up tomorrow at 10"),
        AIMessage("", tool_calls=[call]),
        ToolMessage(
            "User rejected the tool call for `book_slot` with reason: cancel it", tool_call_id="call_1", status="error"
        ),
    ]
    state = derive_state(history, TODAY)
    assert state.turn is not None and state.turn.utterance.manage is None  # a no to the card, not an old booking
    assert parse("cancel it", TODAY).manage == "cancel"  # said as a first message it still means a booking
    assert dataclasses.asdict(parse("cancel it", TODAY)) == fresh("cancel it")
