"""The offline model's reading of dates, times and details (today: Monday 2026-11-23)."""

from __future__ import annotations

from datetime import date

import pytest

from agent.offline.dates import find_day
from agent.offline.lexicon import normalize
from agent.offline.nlu import parse
from agent.offline.times import find_times

MONDAY = date(2026, 11, 23)
SUNDAY = date(2026, 11, 29)

DAYS = [
    ("today", MONDAY, "2026-11-23"),
    ("tomorrow", MONDAY, "2026-11-24"),
    ("the day after tomorrow", MONDAY, "2026-11-25"),
    ("Tuesday", MONDAY, "2026-11-24"),
    ("this Tuesday", MONDAY, "2026-11-24"),
    ("next Tuesday", MONDAY, "2026-12-01"),  # the Tuesday of next week
    ("Tuesday next week", MONDAY, "2026-12-01"),
    ("Monday", MONDAY, "2026-11-30"),  # a bare weekday is never today
    ("this Monday", MONDAY, "2026-11-23"),
    ("next Monday", MONDAY, "2026-11-30"),
    ("this Friday", MONDAY, "2026-11-27"),
    ("next Friday", MONDAY, "2026-12-04"),
    ("next Tuesday", SUNDAY, "2026-12-01"),  # said on a Sunday, next week is the coming week
    ("this Tuesday", SUNDAY, "2026-12-01"),
    ("next week", MONDAY, "2026-11-30"),
    ("in two weeks", MONDAY, "2026-12-07"),
    ("in 3 days", MONDAY, "2026-11-26"),
    ("in a week", MONDAY, "2026-11-30"),
    ("this weekend", MONDAY, "2026-11-28"),
    ("Nov 25", MONDAY, "2026-11-25"),
    ("November 25th", MONDAY, "2026-11-25"),
    ("25 November", MONDAY, "2026-11-25"),
    ("the 3rd of December", MONDAY, "2026-12-03"),
    ("12/3", MONDAY, "2026-12-03"),
    ("12/3/2026", MONDAY, "2026-12-03"),
    ("2026-12-03", MONDAY, "2026-12-03"),
    ("the 3rd", MONDAY, "2026-12-03"),
    ("on the 23rd", MONDAY, "2026-11-23"),
    ("January 5", MONDAY, "2027-01-05"),  # far back this year: next year's
    ("Nov 2", MONDAY, "2026-11-02"),  # a little back: stays past, so the patient is told
    ("yesterday", MONDAY, "2026-11-22"),
    ("last Friday", MONDAY, "2026-11-20"),
]


@pytest.mark.parametrize(("text", "today", "expected"), DAYS)
def test_relative_and_absolute_days(text: str, today: date, expected: str) -> None:
    found = find_day(text.lower(), today)
    assert found is not None and found.day.isoformat() == expected


@pytest.mark.parametrize("text", ["I'm free", "at 10:30", "555 0100", "a physical", "the second one"])
def test_no_day_where_there_is_none(text: str) -> None:
    assert find_day(text.lower(), MONDAY) is None


TIMES = [
    ("10:30", None, ("10:30", "22:30")),
    ("half past ten", None, ("10:30", "22:30")),
    ("quarter past 9", None, ("09:15", "21:15")),
    ("quarter to 3", None, ("14:45", "02:45")),
    ("2pm", None, ("14:00",)),
    ("2:30 p.m.", None, ("14:30",)),
    ("at 9", None, ("09:00", "21:00")),
    ("at 3", None, ("15:00", "03:00")),
    ("noon", None, ("12:00",)),
    ("14:30", None, ("14:30",)),
    ("morning", "morning", ()),
    ("in the afternoon", "afternoon", ()),
    ("evening", "evening", ()),
    ("after 3", "after 15:00", ()),
    ("after 10am", "after 10:00", ()),
    ("before 11", "before 11:00", ()),
    ("before noon", "before 12:00", ()),
    ("between 2 and 4", "14:00-16:00", ()),
    ("from 9 to 11", "09:00-11:00", ()),
    ("after lunch", "after 13:00", ()),
]


@pytest.mark.parametrize(("text", "window", "readings"), TIMES)
def test_times_and_parts_of_day(text: str, window: str | None, readings: tuple[str, ...]) -> None:
    found = find_times(text.lower())
    assert found.window == window and found.readings == readings


@pytest.mark.parametrize(
    ("text", "type_key"),
    [
        ("a check-up", "physical"),
        ("my checkup", "physical"),
        ("physical exam", "physical"),
        ("my annual", "physical"),
        ("a follow up", "followup"),
        ("follow-up", "followup"),
        ("to discuss my test results", "followup"),
        ("see a specialist", "specialist"),
        ("a dermatologist", "specialist"),
        ("a checkup with a specialist on Thursday", "specialist"),
        ("a follow-up with my dermatologist", "specialist"),
        ("a consultation", "consultation"),
        ("first visit", "consultation"),
        ("a physical instead of the consultation", "physical"),
    ],
)
def test_appointment_type_synonyms(text: str, type_key: str) -> None:
    assert parse(text, MONDAY).type == type_key


@pytest.mark.parametrize("text", ["see a doctor", "I need an appointment", "can I see someone"])
def test_generic_visits_have_no_type(text: str) -> None:
    u = parse(text, MONDAY)
    assert u.type is None and (u.generic_visit or u.wants_booking)


@pytest.mark.parametrize(
    ("text", "expected", "details_expected"),
    [
        ("I'm Jane Roe", ("Jane Roe", None, None), False),
        ("my name is jane roe", ("Jane Roe", None, None), False),
        ("Jane Roe, jane@example.com, 555 0100", ("Jane Roe", "jane@example.com", "555 0100"), False),
        ("jane@example.com 555-010-0199 Jane Roe", ("Jane Roe", "jane@example.com", "555-010-0199"), False),
        ("+1 (555) 123-4567", (None, None, "+1 (555) 123-4567"), True),
        ("Jane", ("Jane", None, None), True),
        ("I am Jane Doe and my number is 555 123 4567", ("Jane Doe", None, "555 123 4567"), False),
        ("I'm looking for an appointment tomorrow", (None, None, None), False),
        ("I'm free in the afternoon", (None, None, None), True),
        ("this is urgent", (None, None, None), True),
        # a relative booked by name in lower case (first_messages_thu24.yaml t24-028, t24-029)
        ("can you book my wife mei chen in for a physical on wednesday", ("Mei Chen", None, None), False),
        ("could i book my son leo garcia for a follow up on monday", ("Leo Garcia", None, None), False),
        ("can i book my husband in too for friday", (None, None, None), False),
        ("could you book my daughter next week for a checkup", (None, None, None), False),
    ],
)
def test_names_emails_and_phones(text: str, expected: tuple[str | None, ...], details_expected: bool) -> None:
    u = parse(text, MONDAY, details_expected=details_expected)
    assert (u.name, u.email, u.phone) == expected


def test_a_phone_number_is_not_read_as_a_time_or_date() -> None:
    u = parse("555 0100", MONDAY)
    assert u.phone == "555 0100" and not u.times and u.day is None


@pytest.mark.parametrize(
    ("text", "ordinal"),
    [
        ("the first one", 0),
        ("second", 1),
        ("the 3rd one", 2),
        ("the last one", -1),
        ("option 2", 1),
        ("#4", 3),
    ],
)
def test_picks(text: str, ordinal: int) -> None:
    u = parse(text, MONDAY)
    assert u.ordinal == ordinal and u.day is None


@pytest.mark.parametrize(
    ("text", "yes", "no"),
    [
        ("yes", True, False),
        ("ok, book it", True, False),
        ("no", False, True),
        ("no, something in the afternoon", False, True),
        ("yes but at 10", False, False),
    ],
)
def test_yes_and_no_reuse_the_confirmation_reader(text: str, yes: bool, no: bool) -> None:
    u = parse(text, MONDAY)
    assert (u.yes, u.no) == (yes, no)


@pytest.mark.parametrize(
    ("text", "number"),
    [("9", 9), ("the 10 one", 10), ("ok 9 it is", 9), ("hmm lets do 1 then", 1), ("2 works for me", 2), ("so 3?", 3)],
)
def test_a_bare_hour_in_picking_words(text: str, number: int) -> None:
    u = parse(text, MONDAY)  # read as the bare number, or as that hour (1-6 pm) when said as a choice
    assert u.bare_number == number or (u.times and int(u.times[0][:2]) % 12 == number % 12)


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("11 pls - Tomas Reyes, tomas.reyes@example.com, 555 818 4040", 11),
        ("lets go with 2, its Priya Nair, priya.nair@example.com, 555-232-1010", 2),
        ("the 3 one thx - Bo Li, bo@li.com", 3),
        ("11 please, its Rosa Diaz", 11),  # the name alone is details too
        ("Dev Nair dev.nair@example.com 555 232 3232", None),  # a phone's digits are no pick
        ("Ann Lee ann@example.com 555 222 1111, 2 please", None),  # only before the name
    ],
)
def test_a_bare_hour_picked_before_the_details(text: str, number: int | None) -> None:
    u = parse(text, MONDAY)
    assert u.name
    assert u.bare_number == number


@pytest.mark.parametrize(
    ("text", "later", "window"),
    [
        ("anything later than that?", True, None),  # after a pick: the next times
        ("anything later than 3?", False, "after 15:00"),  # a bound
        ("is there nothing later than this one", True, None),
    ],
)
def test_later_than_that_pages_and_later_than_a_time_bounds(text: str, later: bool, window: str | None) -> None:
    u = parse(text, MONDAY)
    assert (u.later, u.window) == (later, window)


def test_a_different_day_opens_the_day_and_is_understood() -> None:
    for text in ("a different day maybe?", "what about other days?", "another day please"):
        u = parse(text, MONDAY)
        assert u.other_day and u.has_slot_facts and u.day is None


def test_a_question_about_the_patients_details_names_no_one() -> None:
    u = parse("do you need my phone number too?", MONDAY, details_expected=True)
    assert u.name is None and u.about_details
    assert parse("Ken Ito", MONDAY, details_expected=True).name == "Ken Ito"


def test_good_morning_is_a_greeting_not_a_part_of_day() -> None:
    u = parse("Good morning! Anything on Thursday afternoon?", MONDAY)
    assert u.greeting and u.window == "afternoon"
    assert parse("Good morning", MONDAY).window is None


# --- issue 11: the rewrite's pieces, one rule each (the development set in tests/nlu covers the mix)


@pytest.mark.parametrize(
    ("text", "normalised"),
    [
        ("Tommorow mornin", "tomorrow morning"),
        ("wensday folow up", "wednesday follow up"),
        ("a chekup with the specilist", "a checkup with the specialist"),
        ("tmrw or nxt wed", "tomorrow or next wednesday"),
        ("the twenty-first at half past nine", "the 21st at half past 9"),
        ("I remember the doctor physically checked", "i remember the doctor physically checked"),  # real words
        ("I sat on the sun deck", "i sat on the sun deck"),  # abbreviations only where a day fits
        ("my anual fisical", "my annual physical"),  # spelt as it sounds
        ("the kardiologist or the alergist", "the cardiologist or the allergist"),
        ("a fisicle", "a physical"),
        ("physics and physicians", "physics and physicians"),  # real words are never sound-matched
        ("wed or thu", "wednesday or thursday"),  # beside another weekday, "wed" is one
        ("thrus 17th", "thursday 17th"),  # the slip for "thurs"
    ],
)
def test_spelling_abbreviations_and_numbers_are_normalised(text: str, normalised: str) -> None:
    from agent.offline.lexicon import normalize

    assert normalize(text) == normalised


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("thursday the 17th of december", "2026-12-17"),  # the date, not the coming Thursday
        ("fri dec 11", "2026-12-11"),
        ("two weeks from tomorrow", "2026-12-08"),
        ("3 days after friday", "2026-11-30"),
        ("the tuesday after next", "2026-12-08"),
        ("in 8 days' time", "2026-12-01"),
        ("not tomorrow, the day after", "2026-11-25"),
        ("not this thursday but the one after", "2026-12-03"),
        ("any day next week except monday", "2026-12-01"),
        ("the day after thanksgiving", "2026-11-27"),
        ("new year's day", "2027-01-01"),
        ("my last visit was on the 3rd of november, a follow-up next week", "2026-11-30"),  # past: context
        ("tryouts are on the 5th so before then, could we try wednesday", "2026-11-25"),  # the last day asked
        ("I had bloodwork on the 16th, can I come tomorrow", "2026-11-24"),  # "the 16th" of the past
        ("tuesday or wednesday", "2026-11-24"),  # alternatives: the first
        ("next week, wednesday if you can", "2026-12-02"),  # a weekday inside a named week
        ("wednesday, next week if possible", "2026-12-02"),
        ("next weekend, the sunday", "2026-12-06"),
        ("the week after next, ideally a friday", "2026-12-11"),
        ("next week is no good, friday this week?", "2026-11-27"),  # a refused week scopes nothing
        ("anything but today", "2026-11-24"),  # the soonest day left
        ("can't do today or tomorrow", "2026-11-25"),  # a refusal carries over the list
        ("not today, tomorrow would be better", "2026-11-24"),
        ("tuesday or any day after", "2026-11-24"),  # "any day after" is not "the day after"
        ("friday or the day after", "2026-11-27"),
    ],
)
def test_days_combine_as_patients_combine_them(text: str, expected: str) -> None:
    from agent.offline.lexicon import normalize

    found = find_day(normalize(text), MONDAY)
    assert found is not None and found.day.isoformat() == expected


@pytest.mark.parametrize(
    ("text", "window"),
    [
        ("not before 10", "after 10:00"),
        ("not after 11am", "before 11:00"),
        ("no later than 11", "before 11:00"),
        ("at 3:30 or later", "after 15:30"),
        ("i'm at work until 4 so the evening", "evening"),  # a part of the day beats the busy clause
        ("thursday evening? i'm at work until 5", "evening"),  # also when both allow the same hours
        ("i work until 5, anytime after that", "after 17:00"),
        ("my shift finishes at 3", "after 15:00"),
        ("i need to be at work by 11, so before then", "before 11:00"),
        ("in meetings all morning, after lunch please", "after 13:00"),
        ("first thing", "before 10:00"),
        ("not in the morning", "after 12:00"),
    ],
)
def test_bounds_negations_and_busy_clauses(text: str, window: str) -> None:
    assert find_times(text).window == window


@pytest.mark.parametrize(
    ("text", "type_key"),
    [
        ("a neurology appointment", "specialist"),
        ("the skin doctor", "specialist"),
        ("my physical was last week and I need to go over the results", "followup"),  # the physical is context
        ("just to check in about my new meds", "followup"),
        ("my GP referred me to orthopedics", "specialist"),
        ("can i get a derm appt friday", "specialist"),  # the short form
    ],
)
def test_specialties_and_types_in_context(text: str, type_key: str) -> None:
    assert parse(text, MONDAY).type == type_key


def test_a_name_is_never_spelling_corrected_and_june_can_be_a_name() -> None:
    assert parse("I'm Noor Haddad, noor@example.com, 555 010 0137", MONDAY).name == "Noor Haddad"
    assert parse("Hi, I'm June Park, june@example.com, 555 010 0149", MONDAY).name == "June Park"


TUESDAY = date(2026, 12, 1)  # Dec 7 is a Monday, Jan 7 2027 a Thursday


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("wed 30th", "2026-12-30"),  # a bare ordinal after a weekday is a day of the month
        ("tuesday, 15th", "2026-12-15"),
        ("thurs the 7th", "2027-01-07"),  # the coming 7th is a Monday: the next 7th that is a Thursday
        ("fri 8th", "2027-01-08"),
        ("saturday the 31st", "2026-12-31"),  # neither Dec 31 nor Jan 31 is a Saturday: the date wins
        ("thursday the 4th", "2026-12-04"),  # Feb 4 is a Thursday, but two months on: the date wins
        ("thursday 10th december", "2026-12-10"),  # a month named: the month rules read it
        ("thursday 7th january", "2027-01-07"),
        ("monday 1st thing", "2026-12-07"),  # "1st thing" is no day of the month
        ("a physical in january, the 7th maybe", "2027-01-07"),  # the month asked for, in the same sentence
        ("thurs 17/12", "2026-12-17"),  # British day/month where US month/day cannot be
        ("tuesday 8/12", "2026-12-08"),  # Aug 12 is a Thursday, Dec 8 the Tuesday: the British reading
        ("tuesday 12/8", "2026-12-08"),
        ("12/8", "2026-12-08"),  # with no weekday to decide: US month/day
        ("i was seen in november, can i come on the 29th", "2026-12-29"),  # a past month is context
        ("before the season starts in january. wednesday the 16th?", "2026-12-16"),  # another sentence
        ("i was seen on friday the 20th", "2026-11-20"),  # in a sentence about the past: the last one
        ("wednesday 9th in the evening possible, or thurs 10th", "2026-12-09"),  # offered as alternatives
        ("a follow up in about two weeks", "2026-12-15"),
        ("wed. 16th", "2026-12-16"),
        ("December 29th (tuesday)", "2026-12-29"),  # the weekday after its date, in brackets
        ("the 29th - a tuesday - works", "2026-12-29"),
    ],
)
def test_a_weekday_with_a_day_of_the_month(text: str, expected: str) -> None:
    found = find_day(normalize(text), TUESDAY)
    assert found is not None and found.day.isoformat() == expected


@pytest.mark.parametrize(
    ("text", "type_key"),
    [
        ("I was told at my checkup to book a follow up", "followup"),
        ("came in for my physical last week, the dr wants to go over my bloods", "followup"),
        ("My checkup on Nov 20 showed high cholesterol, can I get a follow-up?", "followup"),
        ("following up on my October physical, I'd like a follow up", "followup"),
        ("the GP wants me to have a physical", "physical"),
        ("need my labs reviewed", "followup"),
        ("my bloods need reviewing", "followup"),
        ("a recheck of my blood pressure", "followup"),
        ("to go over my x-ray", "followup"),
        ("had a follow up last week and now I need my annual physical", "physical"),
        ("I had to get a physical for work last week, now I need a follow-up", "followup"),  # what was done then
        ("a physical at my GP", "physical"),
    ],
)
def test_a_past_visits_type_is_context(text: str, type_key: str) -> None:
    assert parse(text, TUESDAY).type == type_key


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("Thursday 3rd after 4. Thanks, Amy Sun", date(2026, 12, 3)),  # "Sun" is a surname
        ("tues 22nd after school. its for Lily Wed", date(2026, 12, 22)),
        ("Next Wed please", date(2026, 12, 9)),  # a clinic word before it: still the weekday
        ("Can I come Sat?", date(2026, 12, 5)),
    ],
)
def test_a_weekday_abbreviation_in_a_name_is_not_a_day(text: str, day: date) -> None:
    assert parse(text, TUESDAY).day == day


def test_a_name_introduced_as_such_is_not_spelling_corrected_into_a_time() -> None:
    u = parse("Hi, I'm Noor Haddad. Tuesday the 8th, late afternoon", TUESDAY)
    assert (u.name, u.day, u.window, u.times) == ("Noor Haddad", date(2026, 12, 8), "after 15:00", ())
    assert parse("It's Tuesdy I want", TUESDAY).day == date(2026, 12, 8)  # a misspelt day is still a day


@pytest.mark.parametrize(
    ("text", "day", "past_day"),
    [
        # a run-on with no full stop: after the request, the day is the one asked for
        ("i had my physical on nov 20 the doctor wants a follow up can i come wed 9th", date(2026, 12, 9), None),
        ("my son was seen on the 20th he needs a follow up tuesday 15th", date(2026, 12, 15), None),
        ("I was told to come back on the 15th", date(2026, 12, 15), None),
        ("i was seen on the 3rd", None, date(2026, 11, 3)),  # nothing asked: the past 3rd
    ],
)
def test_a_run_on_sentence_about_the_past_then_a_request(text: str, day: date | None, past_day: date | None) -> None:
    u = parse(text, TUESDAY)
    assert (u.day, u.past_day) == (day, past_day)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("17th at 2?", "2026-12-17"),  # a bare ordinal without "the" is a day of the month
        ("kidney specialist, 17th, late afternoon", "2026-12-17"),
        ("on 22nd please", "2026-12-22"),
        ("my 2nd visit, friday", "2026-12-04"),  # a noun after it: it counts visits
        ("her 3rd dose, 18th?", "2026-12-18"),
        ("4th floor? tuesday", "2026-12-08"),
    ],
)
def test_a_bare_ordinal_is_a_day_of_the_month_unless_it_counts_something(text: str, expected: str) -> None:
    found = find_day(normalize(text), TUESDAY)
    assert found is not None and found.day.isoformat() == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hi there how are you today", None),  # asks after the front desk, not for today
        ("how r u doing today?", None),
        ("hope you're well today! a follow up tomorrow please", "2026-12-02"),
        ("how's your day going? anything free today", "2026-12-01"),
    ],
)
def test_small_talk_names_no_day(text: str, expected: str | None) -> None:
    u = parse(text, TUESDAY)
    assert u.greeting and (u.day.isoformat() if u.day else None) == expected


@pytest.mark.parametrize(
    ("text", "fix"),
    [
        ("sorry typo, it's Siobhan not Siobahn", ("Siobhan", "Siobahn")),
        ("oops its Dana, not Dane", ("Dana", "Dane")),
        ("spelt aoife not afie", ("Aoife", "afie")),
        ("friday not monday", None),  # days, not a name
    ],
)
def test_a_word_of_the_name_put_right(text: str, fix: tuple[str, str] | None) -> None:
    assert parse(text, TUESDAY).name_fix == fix


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("twelve fifteen on monday?", "12:15"),  # a clock time said as words
        ("ten thirty tuesday", "10:30"),
        ("two forty five friday", "14:45"),
        ("nine oh five tomorrow", "09:05"),
    ],
)
def test_a_clock_time_in_words(text: str, expected: str) -> None:
    assert parse(text, TUESDAY).times[0] == expected


def test_a_weekday_typo_keeps_its_first_letter() -> None:
    assert normalize("munday") == "monday"  # one letter from monday and sunday


def test_call_you_later_asks_for_no_later_times() -> None:
    u = parse("never mind ill call you later, thanks bye", TUESDAY)
    assert not u.later and u.bye


def test_every_word_text2num_changes_passes_the_number_hint() -> None:
    """normalize skips text2num when the hint finds nothing: no number word may slip past it."""
    from text_to_num import alpha2digit

    from agent.offline.lexicon import _NUMBER_HINT
    from core.english import english_words as _english

    changed = [w for w in _english() if alpha2digit(w, "en") != w or alpha2digit(f"the {w} of", "en") != f"the {w} of"]
    assert len(changed) > 50  # the cardinals, ordinals and their plurals
    assert [w for w in changed if not _NUMBER_HINT.search(w)] == []
    for small in ("one two", "oh one two", "first second", "nought one"):  # the small ones convert in runs
        assert alpha2digit(small, "en") != small and _NUMBER_HINT.search(small)


@pytest.mark.parametrize(
    ("text", "ordinal"),
    [
        ("nah hold off on that, let me check with my wife first", None),  # an adverb, not a pick
        ("i need to ask my boss first", None),
        ("first", 0),
        ("ok first", 0),
        ("the first please", 0),
        ("yes the last", -1),
    ],
)
def test_first_ending_a_clause_is_no_pick(text: str, ordinal: int | None) -> None:
    assert parse(text, TUESDAY).ordinal == ordinal


@pytest.mark.parametrize(
    ("text", "times"),
    [
        ("could we make it 4 instead, i have a meeting at 3", ("16:00", "04:00")),
        ("can you do 11? got a call at 2", ("11:00", "23:00")),
    ],
)
def test_an_hour_asked_beside_a_meeting_is_the_time_and_the_meeting_bounds_nothing(
    text: str, times: tuple[str, ...]
) -> None:
    """Two rules meet here: a meeting's clock bounds the day ("I have a meeting at 3" = before 3)
    and an hour asked for beside a busy clock wins; with an hour asked, the meeting is only the
    reason (a conversation hold-out: 'could we do 3 instead, I forgot I have a meeting at 2')."""
    u = parse(text, date(2026, 12, 10))
    assert u.times == times and u.window is None


@pytest.mark.parametrize(
    ("name", "year", "expected"),
    [
        ("Memorial Day", 2027, "2027-05-31"),  # the last Monday of May
        ("Memorial Day", 2026, "2026-05-25"),
        ("Labor Day", 2027, "2027-09-06"),
        ("Martin Luther King Jr. Day", 2028, "2028-01-17"),
        ("Presidents' Day", 2028, "2028-02-21"),
        ("Mother's Day", 2028, "2028-05-14"),
        ("Father's Day", 2027, "2027-06-20"),
        ("Easter Sunday", 2027, "2027-03-28"),
        ("Easter Sunday", 2028, "2028-04-16"),
        ("Good Friday", 2028, "2028-04-14"),
        ("Columbus Day", 2027, "2027-10-11"),
        ("Thanksgiving", 2026, "2026-11-26"),
    ],
)
def test_named_days_by_their_rule(name: str, year: int, expected: str) -> None:
    from agent.offline.dates import NAMED_DAYS

    rule = next(rule for _pattern, said, rule in NAMED_DAYS if said == name)
    assert callable(rule) and rule(year).isoformat() == expected
