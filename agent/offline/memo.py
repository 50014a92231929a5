"""The state folded from the history the model was given last, so the next call folds only what
was added to it.

The model keeps no memory of its own: every call gets the whole history and folds it into a
State (state.py), which makes each call cost the whole conversation again. Within a turn the
graph hands the model the same message objects again with the tool results appended, so the
state of the last history is kept, matched by the identity of its messages (never their content:
a message replaced in the history is another object), and only the new messages are folded.
Anything else (a new turn's history, loaded again from the checkpointer; a history edited) is
folded from the start, as before.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from datetime import date

from langchain_core.messages import BaseMessage, SystemMessage

from agent.offline.state import State, derive_state, fold
from agent.safety import is_safety_reply


class Memo:
    """The folded states of the last `size` histories, by their last message."""

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._states: OrderedDict[int, tuple[tuple[BaseMessage, ...], State]] = OrderedDict()

    def state(self, messages: Sequence[BaseMessage], today: date) -> State:
        """The state of `messages`: a kept one with the new messages folded in, or a new one.

        The kept state is taken out (the fold changes it), so it serves one history only; the
        caller hands back the state it used with `keep`."""
        history = _history(messages)
        for end in range(len(history) - 1, -1, -1):
            if id(history[end]) not in self._states:
                continue
            folded, state = self._states.pop(id(history[end]))
            added = history[end + 1 :]
            # a safety reply says something of the message before it: that one is read again
            if (
                state.today == today
                and len(folded) == end + 1
                and all(a is b for a, b in zip(folded, history[: end + 1], strict=True))
                and not any(is_safety_reply(m) for m in added)
            ):
                fold(state, added)
                return state
            break
        return derive_state(history, today)

    def keep(self, messages: Sequence[BaseMessage], state: State) -> None:
        """Keep the state the model decided on (the policy reads a state, never changes it)."""
        history = _history(messages)
        if not history:
            return
        self._states[id(history[-1])] = (history, state)
        self._states.move_to_end(id(history[-1]))
        while len(self._states) > self.size:
            self._states.popitem(last=False)


def _history(messages: Sequence[BaseMessage]) -> tuple[BaseMessage, ...]:
    """The messages a state is folded from: the system prompt, made again on every call, is none."""
    return tuple(m for m in messages if not isinstance(m, SystemMessage))
