"""The model folds only what was added since its last call, and that gives the state a fold of the
whole history gives (agent/offline/memo.py).

Checked on real conversations: scripts run through the app, and on every model call the state the
memo hands out is compared with `derive_state` over the same messages.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage

from agent.offline.memo import Memo
from agent.offline.state import State, derive_state
from agent.safety import SAFETY_MARK
from api.main import create_app
from conversations.runner import run_path

SCRIPTS = Path(__file__).resolve().parent.parent / "conversations"
TODAY = date(2026, 11, 23)


def offline_scripts() -> list[Path]:
    """The shipped offline scripts and every third of the understanding ones: bookings, changes,
    cards declined, clinic questions, emergencies, existing bookings moved and cancelled."""
    top = sorted(p for p in SCRIPTS.glob("offline_*.yaml"))
    return top + sorted((SCRIPTS / "nlu").glob("nlu_*.yaml"))[::3]


def test_memo_states_equal_whole_history_folds(monkeypatch: pytest.MonkeyPatch) -> None:
    resumed, differ = 0, []
    real = Memo.state

    def checked(self: Memo, messages: Sequence[BaseMessage], today: date) -> State:
        nonlocal resumed
        before = len(self._states)
        state = real(self, messages, today)
        resumed += len(self._states) < before  # a kept state was taken and folded on
        if state != derive_state([m for m in messages if not isinstance(m, SystemMessage)], today):
            differ.append(messages[-1])
        return state

    monkeypatch.setattr(Memo, "state", checked)
    failed = []
    for path in offline_scripts():
        result = asyncio.run(run_path(path, create_app))
        if not result.passed:
            failed.append(path.name)
    assert not differ
    assert not failed
    assert resumed > 50  # the memo is used: every turn with a tool call folds on


def test_a_new_history_is_folded_from_the_start() -> None:
    memo = Memo()
    first = [HumanMessage("a follow-up tomorrow morning")]
    memo.keep(first, memo.state(first, TODAY))
    # the same words in another conversation (other message objects) are read afresh
    other = [HumanMessage("a follow-up tomorrow morning"), AIMessage("Which time?"), HumanMessage("at 10")]
    assert memo.state(other, TODAY) == derive_state(other, TODAY)
    assert len(memo._states) == 1  # the first conversation's state is still kept


def test_a_safety_reply_added_makes_the_message_before_it_read_again() -> None:
    memo = Memo()
    said = HumanMessage("my chest hurts, can i come in today")
    memo.keep([said], memo.state([said], TODAY))
    guidance = AIMessage("Call 911 now.", additional_kwargs={SAFETY_MARK: True})
    history = [said, guidance, HumanMessage("ok")]
    state = memo.state(history, TODAY)
    assert state == derive_state(history, TODAY)
    assert state.day is None  # the emergency asked for no visit


def test_a_tool_result_is_folded_onto_the_kept_state() -> None:
    memo = Memo()
    asked = HumanMessage("a follow-up tomorrow morning")
    state = memo.state([asked], TODAY)
    memo.keep([asked], state)
    call = {"name": "check_availability", "args": {"date": "2026-11-24", "appointment_type": "followup"}, "id": "c1"}
    history = [asked, AIMessage("", tool_calls=[call]), ToolMessage('{"slots": ["09:00"]}', tool_call_id="c1")]
    again = memo.state(history, TODAY)
    assert again is state  # folded on, not read again
    assert again == derive_state(history, TODAY)
