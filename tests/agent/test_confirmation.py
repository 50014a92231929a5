"""Reading the patient's typed answer to a confirmation card (agent/confirmation.py)."""

from __future__ import annotations

import pytest

from agent.confirmation import is_affirmative, is_negative

BOOK, MOVE, CANCEL = "book_slot", "reschedule_booking", "cancel_booking"


@pytest.mark.parametrize(
    ("text", "tool"),
    [
        ("yes", None),
        ("ok, book it", None),
        ("Yes, cancel it", CANCEL),  # the cancel card's button label, typed out
        ("yes cancel it", CANCEL),
        ("ok go ahead and cancel", CANCEL),
        ("go ahead and cancel it thanks", CANCEL),
        ("yes please cancel my appointment", CANCEL),
        ("yes i want to cancel it", CANCEL),
        ("yes we need to move it", MOVE),
        ("cancel it", CANCEL),
        ("Yes, move it", MOVE),  # the move card's button label
        ("yep move it", MOVE),
        ("yes, reschedule it please", MOVE),
        ("ok change it", MOVE),
        ("Yes, book it", BOOK),
        ("yes book it please", BOOK),
        ("sure, go ahead and book me in", BOOK),
        ("yes thats right", BOOK),  # a yes with the words people add to one
        ("Yes, that's correct.", BOOK),
        ("yep looks good", MOVE),
        ("spot on, thanks", BOOK),
    ],
)
def test_a_yes_naming_the_cards_action_is_a_yes(text: str, tool: str | None) -> None:
    assert is_affirmative(text, tool)


@pytest.mark.parametrize(
    ("text", "tool"),
    [
        ("yes cancel it", BOOK),  # "cancel" said to "shall I book this?" is not a yes
        ("yes move it", CANCEL),
        ("yes book it", CANCEL),
        ("cancel", CANCEL),  # a bare verb could mean "cancel this question"
        ("no cancel it", CANCEL),
        ("don't cancel it", CANCEL),
        ("yes but move it to 10", MOVE),
        ("yes cancel it and book friday", CANCEL),
        ("no", BOOK),
        ("yes but at 10", BOOK),
        ("thats right but at 10", BOOK),
        ("that's not right", BOOK),
    ],
)
def test_anything_else_is_not_a_yes(text: str, tool: str) -> None:
    assert not is_affirmative(text, tool)


@pytest.mark.parametrize(
    "text",
    [
        "yess",
        "Yeahh",
        "okk",
        "yeah thats good",
        "go for it",
        "brilliant, yes",
        "Yes, lovely, thank you",
        "yep that's fine",
        "sounds perfect thanks",
        "alright then, go ahead",
        "cool thanks",
        "perfect, that works",
        "that'll do nicely",
        "yes!! thank you so much",
        "fine by me",
        "👍",
    ],
)
def test_a_yes_in_everyday_words_is_a_yes(text: str) -> None:
    assert is_affirmative(text, BOOK) and is_affirmative(text)


@pytest.mark.parametrize(
    "text",
    [
        "thanks",  # thanks for what: the card stays open
        "great but can we do tuesday",
        "fine, but make it 3",
        "ok wait",
        "not great",
        "yes but my email changed",
        "yes its Siobhan not Siobahn",
        "perfect, and one for my son too",
        "lovely, is there parking?",
        "no thats it",
    ],
)
def test_agreeing_words_beside_anything_else_are_not_a_yes(text: str) -> None:
    assert not is_affirmative(text, BOOK)


def test_without_the_tool_only_the_plain_yes_counts() -> None:
    assert not is_affirmative("yes cancel it")
    assert is_negative("cancel") and not is_negative("yes cancel it")
