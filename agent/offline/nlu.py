"""Reading one patient utterance into the facts the policy needs.

Each extractor removes what it consumed before the next runs, so a phone number is never read
as a time, "the 3rd one" never as a date and "good morning" never as a part of day. Order:
e-mail, explicit picks, date, phone, appointment type, greeting, times, other picks, name.
Yes/no reuse `agent.confirmation`, the same strict reader the confirmation step uses.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from datetime import date

from agent.confirmation import is_affirmative, is_negative
from agent.offline.cues import DIGIT, AnyOf, Cues, cued, cues, required
from agent.offline.dates import find_day, in_past, past_months
from agent.offline.lexicon import (
    ABBREVIATIONS,
    MONTH_NAMES,
    SPOKEN_CLOCK_CUES,
    SPOKEN_CLOCK_HINT,
    VOCABULARY_SET,
    WEEKDAY_NAMES,
    correct,
    normalize,
)
from agent.offline.times import I_CAN_DO_IS, OFFERED, blank_past_parts, find_times, parse_clock
from core.formats import NUMBER_WORDS, is_email

DIGIT_CUE = DIGIT  # a prefilter cue met by any digit
_EMAIL = re.compile(r"[^\s,;:<>()\"']*@[^\s,;:<>()\"']*")
# "fri @3pm", "@930": an "at" before a clock, no e-mail address
_AT_TIME_NO_ADDRESS = re.compile(r"@\d{1,4}(?::\d{2})?(?:[ap]\.?m\.?)?[?!,]*")
_PHONE = re.compile(r"(?<![\w:/@.])\+?\(?\d[\d\s().-]{2,24}\d\)?(?![\w:/@])")
_NAME_WORD = r"[^\W\d_][^\W\d_'\-]*(?:['\-][^\W\d_]+)*"

_SPECIALTIES = (
    r"specialists?|dermatolog\w*|derms?\b|skin\s+(?:doctor|specialist)|cardiolog\w*|heart\s+(?:doctor|specialist)|"
    r"neurolog\w*|\bent\b|ear,?\s+nose,?\s+(?:and\s+)?throat|orthop(?:a)?edic\w*|allergist|allergy\s+specialist|"
    r"immunolog\w*|urolog\w*|ophthalmolog\w*|eye\s+(?:doctor|specialist)|gastroenterolog\w*|rheumatolog\w*|"
    r"podiatr\w*|foot\s+doctor|endocrinolog\w*|sports\s+med(?:icine|s)?\b|gyn(?:a)?ecolog\w*|pulmonolog\w*|"
    r"nephrolog\w*|oncolog\w*|hematolog\w*|psychiatr\w*|"
    # the short forms patients use for a field: "the ortho", "gyno", "ob/gyn", "a neuro referral",
    # "gastro doc", "allergy doctor", "bone specialist"
    r"ortho(?:pod\w*)?\b|gyn(?:o|ae|e)?\b|ob[\s/-]?gyn\w*|neuro\b|rheumy?\b|allergy\s+test\w*|"
    r"(?:ortho|gastro|neuro|cardio|endo|rheum|uro|pulmo?|allergy|allergies|bone|joint|kidney|lung|hormone)\s+"
    r"(?:doctor|specialist|clinic|referral|consult(?:ation)?|appointment|visit|guy|lady|team|department)s?\b"
)
# (type, pattern) over the normalised text; a specialty named anywhere wins (see _find_type)
TYPE_PATTERNS: tuple[tuple[str, str], ...] = (
    (
        "physical",
        # "my annual", "my yearly" said as a noun are the visit; "annual leave" is no visit
        r"\b(?:physicals?(?:\s+exam(?:ination)?)?|check[\s-]?ups?|"
        r"(?:annual|yearly)(?:\s+(?:exam|check|visit|physical)|(?!\s+(?:leave|holidays?|vacation|trip|flu|pass|fee)\b))|"
        r"wellness\s+(?:exam|visit|check)|medical\s+exam|full\s+exam(?:ination)?)\b",
    ),
    (
        "followup",
        r"\b(?:follow[\s-]?ups?|followups?|check[\s-]?ins?|(?:go|going)\s+(?:over|through)\s+(?:it|them|those|that)|"
        r"(?:go|going|talk|discuss)\s+(?:over|about|through)\s+"
        r"(?:my\s+|the\s+|his\s+|her\s+)?(?:results?|bloodwork|blood\s+work|bloods|labs?|lab\s+work|tests?|scans?|"
        r"x-?rays?|mri)|(?:my\s+|the\s+)?(?:test|lab|blood\s+test|blood|mri|scan|x-?ray)\s+results?|results|bloodwork|"
        r"bloods|labs|review(?:ed|ing)?|re-?check)\b",
    ),
    ("specialist", rf"\b(?:{_SPECIALTIES})"),
    (
        "consultation",
        r"\b(?:consultations?|consult|first\s+visit|new\s+patient|regular\s+(?:doctor|dr|gp)(?:'?s)?|"
        r"regular\s+(?:appointment|appt|visit)|"
        # the GP as the one who spoke ("the GP wants me to have a physical") names no visit
        r"(?:general\s+practitioner|gps?|family\s+doctor)(?!\s+(?:wants|said|says|told|asked|referred|thinks|"
        r"recommended|suggested)\b))\b",
    ),
)
_SEE_DOCTOR = r"see\s+(?:a|the|my|your)\s+(?:doctor|gp|physician)|see\s+someone|a\s+doctor"
# a wish to be seen ("can i get seen today?", "could someone look at my knee"): a visit, whatever it is about
_BE_SEEN = (
    r"(?:get|be|being|getting)\s+seen|see\s+me|"
    r"(?:someone|somebody|a\s+doctor|you)\s+(?:to\s+)?(?:have\s+a\s+)?look\s+at"
)
_GENERIC_VISIT = rf"\b(?:appointments?|{_SEE_DOCTOR}|{_BE_SEEN}|visit)\b"
_NOT_TYPE = r"\b(?:instead\s+of|rather\s+than|not)\s+(?:a|an|the|my)?\s*(?:full\s+|proper\s+|whole\s+|real\s+)?"
_UNWANTED_TYPE = re.compile(_NOT_TYPE + "(?:" + "|".join(p for _, p in TYPE_PATTERNS) + ")")
_UNWANTED_CUES = cues("instead", "rather", "not")  # prefilter (see _FLAG_CUES)
# prefilters of the types named by few words (the specialties are too many to list: always read)
_TYPE_CUES: dict[str, tuple[str, ...]] = {
    "physical": ("physical", "check", "annual", "yearly", "wellness", "medical", "full"),
    "followup": ("follow", "check", "over", "about", "through", "result", "blood", "labs", "review"),
    "consultation": ("consult", "first", "new", "regular", "general", "gp", "family"),
}
# (a type without cues of its own runs where the cues its pattern requires are, or always)
_TYPE_RES = tuple(
    (key, compiled, cues(*_TYPE_CUES[key]) if key in _TYPE_CUES else required(compiled))
    for key, compiled in ((key, re.compile(pattern)) for key, pattern in TYPE_PATTERNS)
)
# the past visit, named as such: "at my checkup", "after my annual exam", "from my physical", "my
# last physical", "my October physical" (context, like a type in a sentence about the past) ...
_PAST_VISIT = re.compile(
    r"\b(?:at|after|from|during|since|following)\s+(?:my|his|her|their|our|the)\s+(?:last\s+|recent\s+|previous\s+)?"
    r"(?:[a-z]+\s+)?$|\b(?:my|his|her|their|our)\s+(?:last|recent|previous|"
    r"january|february|march|april|may|june|july|august|september|october|november|december)\s+$"
)
# ... but not what was done then: "I had to get a physical for work", "went in to get my checkup"
_PAST_ERRAND = re.compile(r"\b(?:had|went|got|came|used)\s+(?:in\s+)?to\s+[a-z]+\s+(?:[a-z]+\s+)?$")
_ON_PAST_DAY = re.compile(r"\s*(?:(?:was\s+)?(?:on|from|in|of|back\s+in)\s+)?")  # "my checkup on Nov 20"
# ... and the visit asked for, even in a sentence about the past ("I was told to book a follow up")
_REQUESTED = re.compile(
    r"\b(?:book(?:\s+in)?|schedule|arrange|make|get|have|need|needs|want|wants|come\s+(?:back|in)\s+for|asked\s+for|"
    # what the visit is, said now: "it's really a follow up", "more of a follow-up (for my bloods from last week)"
    r"due|(?:it'?s|it\s+is)(?:\s+(?:really|actually|just|only))?|more\s+(?:of|like))\s+"
    r"(?:me\s+|him\s+|her\s+)?(?:for\s+|in\s+for\s+)?(?:a|an|another|the|my|his|her|their)?\s*"
    r"(?:quick\s+|short\s+|new\s+)?$"
)
_GENERIC_RE = re.compile(_GENERIC_VISIT)
_SEE_DOCTOR_RE = re.compile(rf"\b(?:{_SEE_DOCTOR})\b")
_GENERIC_CUES = cues("appointment", "see", "doctor", "visit", "look")  # prefilter (see _FLAG_CUES)

_ORDINALS = {
    "first": 0,
    "1st": 0,
    "second": 1,
    "2nd": 1,
    "third": 2,
    "3rd": 2,
    "fourth": 3,
    "4th": 3,
    "fifth": 4,
    "5th": 4,
    "last": -1,
    "final": -1,
    "earliest": 0,
    "latest": -1,
}
_ORDINAL_CUES = cues(*_ORDINALS)
_ORD_ALT = "|".join(_ORDINALS)
# "first time here", "my first time with you": a first visit, never a pick of the first time offered
_ORD_GROUP = (
    r"(?!(?:(?<=\bmy\s)|(?<=\bour\s)|(?<=\bhis\s)|(?<=\bher\s)|(?<=\btheir\s))first\s+time\b)"
    rf"({_ORD_ALT})(?!\s+time\s+(?:here|at|with|coming|visiting|seeing|patient|in|to|for|ever|using)\b)"
)
_STRONG_PICK = re.compile(rf"\b(?:the\s+)?{_ORD_GROUP}\s+(?:one|slot|time|option|choice|of\s+(?:those|them|these))\b")
_PERIODS = "|".join(("week", "weekend", "month", "year", "night", "visit", *WEEKDAY_NAMES))
# (never a time: "my bloods from last week", "last month", "the first week of january")
_WEAK_PICK = re.compile(rf"\b(?:the\s+)?{_ORD_GROUP}\b(?!\s+(?:{_PERIODS})s?\b)")
# "let me check with my wife first", "i need to ask first": an adverb ending the clause after a
# word that cannot lead a pick, not "the first one" (a pick needs "the", or a word that leads one)
_ADVERB_ORDINAL = re.compile(r"(?:first|last)\s*(?:[.,;!?]|$)")
_PICK_LEAD = re.compile(
    r"(?:^|[,.;!?]|\b(?:ok|okay|yes|yeah|yep|sure|um+|hmm+|then|take|do|book|want|like|prefer|choose|pick|with|and|or))\s*$"
)


def _adverb_ordinal(text: str, at: int) -> bool:
    """ "first" / "last" at the end of a clause, after a word that leads no pick."""
    return _ADVERB_ORDINAL.match(text, at) is not None and _PICK_LEAD.search(text, 0, at) is None


_NUMBERED_PICK = re.compile(r"(?:\b(?:option|number|no\.?|choice)\s*|#\s*)(\d)\b")
# of the times offered, "the later one" / "the earlier time" / "the latter": the last or the first
# (not "any later times?", which pages: a pick names one, with "the" or as the whole message)
_RELATIVE_PICK = re.compile(
    r"(?:\bthe\s+|^\W*)(later|earlier)\s+(?:one|slot|time|option|appointment|of\s+(?:the\s+)?(?:two|them|those|these))\b"
    r"(?!\s+than)|\bthe\s+(latter|former)\b"
)
_RELATIVE_ORDINALS = {"later": -1, "latter": -1, "earlier": 0, "former": 0}

# the one time offered, taken in words: "that works", "sure that", "that one", "i'll take it" (read
# only where one of its words is: every message comes here, few take a time so)
_THAT_PICK = re.compile(
    r"\bthat\s+one\b|\bthat(?:'?ll|\s+will)\s+do\b|"
    r"\bthat(?:\s+(?:time|slot))?(?:'?s|\s+is|\s+would\s+be)?\s+(?:works?|fine|good|great|perfect|ok(?:ay)?|grand|lovely|suits)\b|"
    r"^\W*(?:sure|ok(?:ay)?|yes|yeah|yep|perfect|great)\W+that\W*$|"
    r"\b(?:i'?ll\s+)?take\s+(?:it|that)\b|\bgo\s+(?:with|for)\s+(?:it|that)\b|\bworks\s+for\s+me\b|"
    r"\blet'?s\s+do\s+(?:it|that)\b"
)
_THAT_PICK_CUES = cues("that", "take", "works", "go ", "do it")
# any of the times offered, the patient does not mind which: the first ("either is fine", "whichever")
_ANY_PICK = re.compile(
    r"\beither\s+(?:one\s+|of\s+(?:them|those)\s+)?(?:is|works|'s|would)\b|\bwhichever\b|"
    r"\bany\s+(?:of\s+(?:them|those|these)|one)\s+(?:is|works|would)\b|\b(?:you|u)\s+(?:choose|pick|decide)\b|"
    r"\bup\s+to\s+(?:you|u)\b"
)
_ANY_PICK_CUES = cues("either", "which", "any", "you", "u ")

_GREETING = re.compile(
    r"^\W*(?:(?:hi|hello|hey|hiya|howdy|greetings|good\s+(?:morning|afternoon|evening|day))\b(?:\s+there)?"
    r"|(?:morning|afternoon|evening)\s*[!,.])\W*"
)
_SMALL_TALK = re.compile(
    r"\bhow\s+(?:are|r)\s+(?:you|u|ya)(?:\s+(?:doing|going|keeping))?(?:\s+(?:today|this\s+(?:morning|afternoon|evening)))?\b"
    r"|\bhow'?s\s+(?:your|ur)\s+(?:day|morning|afternoon|week)(?:\s+going)?(?:\s+today)?\b"
    r"|\bhope\s+(?:you'?re|you\s+are|ur|u\s+r|you'?ve\s+been|your\s+day\s+is)\s+(?:well|good|ok(?:ay)?|fine|"
    r"doing\s+well|going\s+well|having\s+a\s+good\s+(?:day|morning|afternoon))(?:\s+today)?\b"
)
# what a booking already made is called ("my physical", "the one I have")
BOOKED = r"(?:appointment|appt|booking|visit|reservation|follow[\s-]?up|physical|consultation|check[\s-]?up)"
# "to go through the bloods / it": going over a past visit's results, never a booking gone through
_NOT_REVIEWED = (
    r"(?!\s+(?:(?:the|my|his|her|those|these|all(?:\s+the)?)\s+)?(?:results?|bloods?|blood\s*work|labs?|tests?|"
    r"x-?rays?|scans?|reports?|findings|numbers|them|it|that|this|everything)\b)"
)
_RELATIVE_WORDS = (
    r"(?:son|daughter|wife|husband|partner|mother|mom|mum|father|dad|child|kid|boy|girl|baby|brother|sister|"
    r"grandmother|grandfather|grandma|grandpa|grandson|granddaughter|stepson|stepdaughter|friend|fianc[eé]e?)"
)
# "how early could i get a follow up" asks for the soonest day ("how early should I arrive" is a
# clinic question: agent/offline/clinic.py)
SEEN_EARLY = (
    r"\s+(?:can|could|would|will)\s+(?:i|we|you|u|someone|they)\s+(?:get(?!\s+(?:there|here))|see|be\s+seen|fit)\b"
)
_FLAGS: dict[str, str] = {
    "thanks": r"\b(?:thanks|thank\s*(?:you|u)|thx|ty|tysm|ta|cheers|much\s+appreciated)\b",
    "bye": r"\b(?:bye|goodbye|good\s+bye|see\s+(?:you|ya|u)|cya|that'?s\s+(?:all|everything|it)|nothing\s+else|"
    r"that\s+is\s+(?:all|everything)|take\s+care|have\s+a\s+(?:good|nice|great|lovely)\s+(?:day|one|evening|weekend)|"
    r"all\s+(?:good|set|sorted)\s+(?:now|then|thanks|thank|ty|thx|cheers)|ttyl)\b",
    "help": r"\b(?:what\s+can\s+you\s+do|help|what\s+(?:kinds?|types?|sorts?)\b|which\s+(?:types?|kinds?)|"
    r"what\s+do\s+you\s+offer|what\s+are\s+(?:the|my)\s+options|who\s+are\s+you|what\s+are\s+you)\b",
    "injection": r"\b(?:ignore\s+(?:all\s+|your\s+|the\s+|previous\s+|prior\s+|any\s+|above\s+|earlier\s+)*"
    r"(?:instructions|rules|prompts?|guidelines)|"
    r"(?:book|reserve|take|grab)\s+(?:up\s+)?(?:every|all|each|the\s+whole|\d{2,}\s+(?:slots|appointments|times))\b|"
    r"system\s+prompt|you\s+are\s+now|developer\s+mode|jailbreak|disregard\s+(?:your|all|the|previous)|"
    r"forget\s+(?:your|all|the|previous)\s+(?:rules|instructions)|pretend\s+(?:you|to\s+be)|admin\s+mode|"
    r"(?:delete|cancel|wipe)\s+(?:all|every(?:one)?|the\s+database)|other\s+patients?'?s?)\b",
    # an existing booking to look up, move or cancel (issue 12 handles these; here: never a new check)
    "cancel": r"\b(?:cancel|reschedule|postpone|rearrange)\b|\b(?:move|change|switch|push|bring|shift)\s+(?:it\b|"
    r"(?:my|the|our|this|that)\s+(?:existing\s+|booked\s+)?(?:appointment|appt|booking|visit|reservation|"
    r"follow[\s-]?up|physical|consultation|check[\s-]?up)\b|(?:my|our)\s+(?:[a-z]+\s+)?(?:slot|session)\b|"
    r"the\s+(?:time|day|date)\s+(?:of|for)\s+(?:my|our)\b)|"
    # "I have an appointment on ...", never the request "could I have an appointment on ..."
    r"\b(?:(?<!can\s)(?<!could\s)(?<!may\s)(?<!might\s)i\s+have|i'?ve(?:\s+got)?|i\s+booked|i'?ve\s+booked|i\s+had)\s+an?\s+(?:appointment|booking)\b"
    # a question about a booking already made
    r"|\b(?:the|that)\s+" + BOOKED + r"\s+for\s+(?:my|our|his|her)\s+[a-z]+\s+(?:go(?:ne)?|went)\s+through\b"
    # "booked a physical for wed, what time was it again?", "booked for christmas eve, is it still on?"
    r"|\bbooked\b[^.?!]{0,60}?\b(?:what\s+time\s+(?:was|is)\s+it|(?:it'?s|it\s+is|is\s+it)\s+still\s+on|still\s+on)\b"
    r"|\b(?:my|our|his|her)\s+(?:[a-z0-9]+\s+){0,2}?" + BOOKED + r"s?\b[^.?!]{0,40}?\b(?:"
    r"(?:go(?:ne)?|went|come)\s+through" + _NOT_REVIEWED + r"|"
    r"work(?:ed)?\s*\?|confirmed|registered|successful|succeeded|(?:go|went|gone)\s+ok|"
    r"still\s+(?:on|happening|go(?:ing)?\s+ahead|booked)|"
    r"booked\s+in|been\s+booked)"
    # "is my 2pm on tuesday still happening", "my tuesday one still on?"
    r"|\b(?:my|our|his|her)\s+(?:\d{1,2}(?::\d{2})?\s*(?:am|pm)?|[a-z]+day)(?:\s+(?:one|slot|appointment|appt))?"
    r"\b[^.?!]{0,30}?\bstill\s+(?:on|happening|go(?:ing)?\s+ahead|booked)\b"
    r"|\b(?:is|was|has|have)\s+(?:my|our|his|her)\s+(?:[a-z]+\s+)?" + BOOKED + r"\s+(?:been\s+)?booked\b"
    r"|\b(?:the|that)\s+" + BOOKED + r"\s+(?:i|we)\s+(?:made|booked|have)\b"
    r"|\b(?:the\s+)?(?:confirmation\s+)?(?:code|number)\s+(?:for|of|on)\s+(?:my|our|his|her)\b"
    r"|\b(?:have|do)\s+(?:i|we)\s+(?:got\s+)?(?:anything|something|an?\s+(?:appointment|booking))\s+"
    r"(?:booked|on|scheduled|coming\s+up)\b"
    r"|\b(?:what\s+(?:time|day|date)|when|which\s+day)(?:\s+(?:is|was)|'?s)\s+(?:my|our|his|her)\b(?![^.?!]*\bdue\b)"
    r"|\bwhat'?s\s+(?:my|our|his|her)\s+(?:[a-z]+\s+)?" + BOOKED + r"\s+(?:time|day|date)\b"
    r"|\b(?:what\s+(?:time|day|date)|when|which\s+day)\s+(?:my|our|his|her)\s+(?:[a-z]+\s+)?"
    + BOOKED
    + r"\s+(?:is|was)\b"
    r"|\bwhat'?s\s+the\s+(?:time|day|date)\s+(?:of|for)\s+(?:my|our|his|her)\b"
    r"|\b(?:what\s+(?:time|day|date)|when)\s+(?:am|are|is)\s+(?:i|we|he|she)\s+(?:booked|coming|due\s+in|scheduled)\b"
    r"|\b(?:what\s+(?:time|day|date)|when)\s+(?:did|have)\s+(?:i|we)\s+book|\bdid\s+(?:i|we)\s+book\b"
    r"|\bthe\s+(?:time|day|date)\s+(?:of|for)\s+(?:my|our|his|her)\s+(?:[a-z]+\s+)?" + BOOKED + r"\b"
    r"|\bmy\s+confirmation\b|\b(?:never|didn'?t|did\s+not|haven'?t|have\s+not|not)\s+(?:got|get|gotten|received?)\s+"
    r"(?:a|an|the|my|any)\s+confirmation|\blost\s+(?:the|my)\s+(?:confirmation|e-?mail|code)\b"
    r"|\b(?:i|we)\s+(?:already\s+|just\s+)?(?:booked|made\s+(?:a|an|the|my)\s+(?:booking|appointment|reservation))\b"
    r"|\bthe\s+one\s+(?:i|we)\s+(?:have|had|'?ve\s+got|booked|made)\b"
    # what the booking's e-mail or text says: "it says tues in my email", "the confirmation said 3pm"
    r"|\b(?:e-?mail|text|confirmation|reminder|message)\s+(?:says|said|shows|showed)\b"
    r"|\bit\s+(?:says|said)\b[^.?!]{0,40}?\b(?:e-?mail|text|confirmation|reminder|message)\b"
    r"|\bstatus\s+of\s+(?:my|our|his|her|the)\b|\b(?:don'?t|do\s+not|can'?t)\s+remember\s+(?:booking|making)\b"
    r"|\bgot\s+an?\s+(?:e-?mail|text|message|confirmation)\s+(?:about|for)\s+(?:an?|my)\s+(?:appointment|booking)\b"
    r"|\bcheck\s+(?:on\s+)?(?:my|our)\s+(?:[a-z]+\s+)?"
    + BOOKED
    + r"\b|\bconfirm\s+(?:that\s+)?(?:it'?s|it\s+is|i'?m|i\s+am)\b",
    "medical": r"\b(?:should\s+i\s+(?:take|be\s+worried|worry|go\s+to)|"
    r"is\s+(?:it|this|that)\s+(?:serious|normal|dangerous|contagious)|"
    r"what\s+(?:medicine|medication|drug|dose|dosage)|how\s+(?:much|many)\s+(?:ibuprofen|paracetamol|tylenol|aspirin|pills)|"
    r"diagnos\w*|prescri\w*|ibuprofen|paracetamol|tylenol|aspirin|antibiotics?|dosage|side\s+effects?|"
    r"treat(?:ment)?\s+for|cure\s+for|medical\s+advice)\b",
    "off_topic": r"\b(?:weather|forecast|news|joke|sports?|football|soccer|stocks?|recipe|movie|politics?|"
    r"capital\s+of|who\s+won|"
    r"bitcoin|poem|story|essay|translate|homework|lottery|horoscope)\b",
    # "later than 3" is a bound (times.py), "later than that" asks for the next times
    # (these two begin with a letter, so the regex engine jumps from one "l"/"e" to the next rather
    # than trying every position; "anything later" is a "later" too, and never "ill call you later")
    "later": r"l(?<=\bl)(?<!call\sl)(?<!you\sl)(?<!talk\sl)(?<!back\sl)(?<!me\sl)(?<!them\sl)(?<!it\sl)ater"
    r"(?:\s+in\s+the\s+day|\s+on)?\b(?!\s+than\s+(?!that|this|those|it\b)|\s+today)",
    "earlier": r"e(?<=\be)arlier(?:\s+in\s+the\s+day|\s+on)?\b(?!\s+than\s+(?!that|this|those|it\b))",
    "other_day": r"\b(?:another|a\s+different|different|other|some\s+other)\s+(?:days?|dates?)\b",
    # "the same for my daughter", "same again": another visit like the one just booked
    "same": r"\b(?:the\s+)?same\s+(?:day|date|time|thing|again|appointment|slot|for|as)\b|"
    r"\bthe\s+same\b(?!\s+(?:e-?mail|phone|number|details|address|contact))",
    # a question about the patient's own details ("do you need my phone too?") is the booking going on
    "about_details": r"\b(?:my|his|her|our)\s+(?:phone|cell|mobile|e-?mail|number|name|details|contact)\b",
    "more": r"\b(?:more|other|others|another|different|alternative|else)\s+(?:free\s+)?"
    r"(?:times?|slots?|options?|ones?)\b|"
    r"\b(?:any|what|anything)\s+else\b|\bany\s+others?\b|\bshow\s+me\s+(?:more|others?)\b|\bwhat\s+others\b",
    # a remark about the chat itself ("sorry autocorrect", "oops typo", "one sec", "haha ok"): no request
    "aside": r"\b(?:auto-?correct\w*|typos?|oops+|whoops|sorry|my\s+bad|"
    r"(?:one|1|a|just\s+a)\s+(?:sec(?:ond)?s?|moment|mo|min(?:ute)?)|hang\s+on|hold\s+on|"
    r"give\s+me\s+a\s+(?:minute|min|sec|second|moment)|"
    r"brb|(?:ha)+h?|he+he+|lol|lmao|hm+|um+|uh+|erm+|my\s+mistake|checking\s+my\s+(?:calendar|diary|schedule)|"
    r"(?:let\s+me|lemme)\s+(?:check|see|think|look)|"
    r"wrong\s+(?:chat|window|person|message)|ignore\s+that|"
    # "wait" ending the message with nothing asked: a pause, like "hold on" ("no wait" stays a no)
    r"wait(?=[\s.!]*$))\b",
    # the visit is for someone named by who they are to the writer ("for his sister", "my husband too")
    "for_other": r"\b(?:my|his|her|our|their)\s+" + _RELATIVE_WORDS + r"\b",
    "retry": r"\b(?:try\s+again|retry|again\s+please|one\s+more\s+time|try\s+it\s+again)\b",
    # not "the earliest I can do is 3" (a bound: agent/offline/times.py)
    "earliest": r"\b(?:earliest(?!" + I_CAN_DO_IS + r")|soonest|"
    r"quickest|pronto|quickly|(?:as\s+)?(?:soon|early|quick(?:ly)?|fast)\s+as\s+(?:possible|poss|(?:you|u|they|someone|anyone|a\s+doctor)\s+can)|asap|"
    r"how\s+(?:soon|quick(?:ly)?|fast)\s+(?:can|could|would|will)\b|how\s+soon|sooner\s+(?:the\s+better|rather\s+than\s+later|is\s+better)|"
    r"how\s+early" + SEEN_EARLY + "|"
    # "urgent-ish", "fairly urgently", but never "not urgent", "nothing urgent", "non-urgent"
    r"(?<!not\s)(?<!nothing\s)(?<!non-)(?<!non\s)(?<!isn't\s)urgent(?:ly|-?ish)?|"
    r"(?:first|next)\s+(?:available|avail|free|open|openings?|slots?|spots?|gaps?|"
    # "first thing you have", "the next one you've got", "first appointment going"
    r"(?:thing|one|appointment|appt|slot|opening|spot)\s+" + OFFERED + r"|"
    # "what's the first day i could come in"
    r"(?:possible\s+)?(?:day|date)\s+(?:(?:i|we|he|she|they)\s+(?:can|could)\b|" + OFFERED + r")))\b",
    "wants_booking": r"\b(?:book|booking|schedule|appointment|availability|available|free|openings?|open|slots?|"
    r"come\s+in|anything|times|what\s+time|when\s+can|reserve|make\s+an?|"
    # a wish with no day ("whenever works", "some time soon", "at some point"): asked which day
    r"whenever|some\s*time\s+soon|at\s+some\s+(?:point|stage)|no\s+rush|not\s+urgent)\b",
}
_NAME_HINT = re.compile(
    r"\b(?:name(?:'?s)?|i'?m|i\s+am|this\s+is|it'?s|s?he'?s|called|named|call\s+me|for|patient|my|our)\b"
)
# the patient named by who they are to the writer, or as the patient: "it's for my son Tom Baker",
# "for Ana Diaz", "the patient is Tom Baker", "under the name Ana Diaz"
_FOR_SOMEONE = (
    rf"(?i)\b(?:(?:for\s+|is\s+)?(?:my|our)\s+{_RELATIVE_WORDS}(?:'?s)?(?:\s*,|\s+(?:is|named|called))?"
    r"|(?:the\s+)?patient(?:'?s)?(?:\s+name)?\s*(?:is|:)|under\s+the\s+name(?:\s+of)?|(?P<bare>for))"
)
_FLAG_RES = {flag: re.compile(pattern) for flag, pattern in _FLAGS.items()}
# Prefilters: words one of which every match of a pattern contains, so a cheap `in` test spares
# most messages the search (tests/agent/test_offline_prefilters.py proves each from its pattern).
# The flags below rarely match; the others match often or are already fast, and always run.
_FLAG_CUES: dict[str, Cues] = {
    "thanks": cues("than", "thx", "ty", "ta", "cheers", "appreciated"),
    "help": cues("help", "what", "which", "who"),
    "other_day": cues("other", "different"),
    "same": cues("same"),
    "more": cues("more", "other", "different", "alternative", "else"),
    "retry": cues("again", "retry", "more"),
    "earliest": cues("earliest", "soon", "quick", "pronto", "early", "fast", "asap", "urgent", "first", "next"),
}


# the flags whose whole pattern has no cues or only common ones ("cancel" passes 84% of messages,
# "aside" all): read alternative by alternative, each where its own cues are
_SPLIT_FLAGS = ("cancel", "aside")


def _flag_check(flag: str) -> tuple[re.Pattern[str] | AnyOf, Cues | None]:
    """How a flag is read: where its own cues are; split (above); or where the cues its pattern
    requires are (always, where the derivation finds none)."""
    if flag in _FLAG_CUES:
        return _FLAG_RES[flag], _FLAG_CUES[flag]
    if flag in _SPLIT_FLAGS:
        return AnyOf(_FLAGS[flag]), None
    return _FLAG_RES[flag], required(_FLAG_RES[flag])


_FLAG_CHECKS = tuple((flag, *_flag_check(flag)) for flag in _FLAG_RES)

# A confirmation code as typed (the service's are 8 letters and digits; a patient's may be shorter):
# a word of 6 to 10 letters and digits with at least one of each, or any such word right after
# "code". Read after the e-mail is blanked, so "okafor2@..." is never a code.
_CODE_AFTER_WORD = re.compile(
    r"\b(?:confirmation\s+(?:code|number|no\.?|#)|conf(?:irmation)?\s*(?:code|#)|booking\s+code|code)"
    r"(?:\s*(?:is|:|#|=)\s*([a-z0-9]{6,10})|\s*((?=[a-z]*\d)[a-z0-9]{6,10}))\b"
)
_ANY_DIGIT = re.compile(r"\d")


_INSTEAD = re.compile(r"\binstead\b")
_BOOKING_WORD = re.compile(r"\b(?:appointment|appt|booking|visit|reservation|it)\b")
_RESCHEDULE = re.compile(r"\b(?:reschedul\w*|postpon\w*|rearrang\w*)\b")
_RESCHEDULE_CUES = cues("reschedul", "postpon", "rearrang")  # its prefilter
_SAME_TIME = re.compile(r"\b(?:the\s+)?same\s+time\b")
_ISO_DATE = re.compile(r"\b\d{4}-\d{1,2}-\d{1,2}\b")
_PHONE_WORD = re.compile(r"\b(?:phone|number|cell|mobile|tel|call|reach)\b")
_CODE_WORD = re.compile(r"\b(?=[a-z]*\d)(?=\d*[a-z])[a-z0-9]{6,10}\b")
_CANCEL_IT = re.compile(
    r"\bcancel(?:l?ing)?\b(?!\s+(?:fee|policy|charge))"
    r"(?=.*\b(?:appointment|appt|booking|visit|reservation|it|that|this|mine|follow[\s-]?up|physical|consultation)\b)"
    r"|\b(?:want|need|like|have|going)\s+to\s+cancel\b|\bcancel\s+(?:my|the|our)\b"
    # a decision said without "it": "i'd better cancel", "i'll just cancel", "gonna cancel then"
    r"|\b(?:better|rather|i'?ll|i\s+will|gonna|just)\s+(?:just\s+)?cancel\b(?!\s+(?:fee|policy|charge))"
)
# "what if i need to cancel last minute?", "if we have to cancel, is that ok?": the policy asked
# about (agent/offline/clinic.py answers it), never a request to cancel
CANCEL_IF = re.compile(r"\bif\s+(?:i|we|he|she|they|my\s+\w+)\s+(?:\w+\s+){0,3}?cancel\w*")
_CANT_MAKE = re.compile(
    r"\b(?:can'?t|cant|cannot|can\s+not|won'?t|wont|will\s+not|(?:won'?t\s+be|not|un)\s*able\s+to)\s+make\s+(?:it|my|the)\b"
)
_CANCEL_CUES, _CANT_MAKE_CUES = cues("cancel"), cues("make")  # prefilters of _CANCEL_IT and _CANT_MAKE
_MOVE_WORDS = re.compile(
    # (never the noun: "got a shift for 1", "my shift starts at 2")
    r"\b(?:mov(?:e|ing)(?!\s+(?:forward|ahead|on)\s+with)|chang(?:e|ing)|switch\w*|push\w*|bring|"
    r"(?<!\ba\s)(?<!\bmy\s)(?<!\bthe\s)(?<!\bhis\s)(?<!\bher\s)shift)\b"
)
_MOVE_CUES = cues("mov", "chang", "switch", "push", "bring", "shift")  # prefilter (see _FLAG_CUES)
# "push back my follow up", "bring forward my checkup": a booking of theirs, whatever it is called
_MOVE_MINE = re.compile(r"\b(?:push|mov|bring)(?:e|es|ed|ing)?\s+(?:back|forward)\s+(?:my|our|his|her)\s")
_MOVE_MINE_CUES = cues("back", "forward")  # prefilter (see _FLAG_CUES)


def _says_move(norm: str) -> bool:
    return cued(norm, _MOVE_CUES) and _MOVE_WORDS.search(norm) is not None


# a booking the patient has, then the same day at another time: "my daughter has an appointment on the
# 22nd, can we make it later in the day", "got an appointment friday morning, any chance of making it
# the afternoon instead" (a move of it, never a new visit asked for)
_HAS_BOOKING = re.compile(
    # (never asked for: "can i have an appointment on the 30th", "do you have a slot")
    r"(?<!can\si\s)(?<!could\si\s)(?<!may\si\s)(?<!can\swe\s)(?<!could\swe\s)(?<!you\s)(?<!\bu\s)(?<!to\s)"
    rf"\b(?:have|has|had|got|'ve)\s+(?:an?|my|the|his|her|our)\s+(?:[a-z]+\s+)?{BOOKED}\b"
    r"|\b(?:is|are|am|'m|'s|im)\s+booked\s+(?:in\s+)?(?:on|for)\b"
    rf"|(?<!book\s)(?<!get\s)\b(?:my|our|his|her)\s+(?:[a-z]+\s+)?{BOOKED}\s+(?:is\s+|'s\s+)?(?:on|for|at)\b"
)
_OTHER_TIME_SAME_DAY = re.compile(
    r"\b(?:make|making|have|having|get|getting|be|move|moving|push|pushing|change|changing)\s+it\s+"
    r"(?:a\s+(?:bit|little)\s+|any\s+|slightly\s+|much\s+)?(?:later|earlier)\b"
    r"|\b(?:later|earlier)\s+(?:in\s+the\s+day|that\s+day|on\s+the\s+day)\b|\ba\s+(?:bit|little)\s+(?:later|earlier)\b"
    r"|\b(?:the|in\s+the)\s+(?:morning|afternoon|evening)\s+instead\b"
    r"|\b(?:make|making|move|moving|change|changing|switch|switching)\s+it\s+(?:to\s+)?(?:the|in\s+the)\s+"
    r"(?:morning|afternoon|evening)\b"
)
# their prefilters (a booking word; another time of the day)
_HAS_BOOKING_CUES = cues(
    "appointment", "appt", "booking", "visit", "reservation", "follow", "physical", "consultation", "check", "booked"
)
_OTHER_TIME_CUES = cues("later", "earlier", "morning", "afternoon", "evening")


def _later_in_own_day(norm: str) -> bool:
    """Whether a booking of the patient's is asked to be at another time of its day."""
    if not (cued(norm, _OTHER_TIME_CUES) and cued(norm, _HAS_BOOKING_CUES)):
        return False  # both cue sets first: most messages have neither
    return _OTHER_TIME_SAME_DAY.search(norm) is not None and _HAS_BOOKING.search(norm) is not None


def _moves_mine(norm: str) -> bool:
    """Whether a booking of the patient's own is pushed back or brought forward."""
    return cued(norm, _MOVE_MINE_CUES) and _MOVE_MINE.search(norm) is not None


# "I can't make it this week. Monday for a consult?": "it" is a time, and a visit is asked for
_NEW_REQUEST = re.compile(
    r"\bcan'?t\s+make\s+it\b(?=.*\b(?:physical|check[\s-]?up|follow[\s-]?up|consult(?:ation)?|specialist|"
    r"appointment\s+for|book)\b)(?!.*\b(?:my|the|our)\s+(?:appointment|booking|visit)\b)"
)
_KEEP = re.compile(
    # (after the words that lead a change of mind: "no sorry, keep it", "hmm, leave it as it is")
    r"^(?:(?:no|nah|ok(?:ay)?|actually|on\s+second\s+thought|never\s*mind|wait|sorry|oh|hmm+|um+)[\s,.]*)*"
    r"(?:i'?ll\s+|let'?s\s+|please\s+|just\s+)?"
    r"(?:keep\s+(?:it|my|the|that|this)|leave\s+it|don'?t\s+(?:cancel|move|change)|do\s+not\s+(?:cancel|move|change))\b"
    r"|\bnever\s*mind\b(?!.*\b(?:cancel|move)\b)"
)
_KEEP_CUES = cues("keep", "leave", "don", "not", "never")  # prefilter (see _FLAG_CUES)
_REASON = re.compile(
    r"\b(?:because(?:\s+of)?|the\s+reason\s+is|reason\s*(?:is|:)|it'?s\s+(?:about|for)|regarding)\s+([^.;!?\n]{3,200})"
)
_REASON_CUES = cues("because", "reason", "about", "for", "regarding")  # prefilter (see _FLAG_CUES)

# words that are never part of a name given as a bare line
_NOT_NAME = set(
    """
    yes yeah yep no nope ok okay sure thanks thank you please hi hello hey book booking booked appointment appointments
    visit slot slots time times today tomorrow next this that these those them it is are was be am i me my mine we us
    our a an the and or but with for of to in on at by from as if so then than also just actually instead maybe really
    can could would will shall should like want need do does did have has any anything something some available free
    works work fine good great perfect correct right wrong urgent morning afternoon evening night noon first second
    third last one two three email e-mail mail phone number mobile cell name address call contact here there please
    what when where which who why how make change still only not nothing else all every doctor specialist physical
    consultation follow followup check up checkup results test annual week weekend day days monday tuesday wednesday
    thursday friday saturday sunday january february march april may june july august september october november
    december earlier later after before between around about sorry hmm um uh well go ahead confirm cancel stop wait
    help bye goodbye thx cheers hello hi hiya new patient patients cool lovely brilliant grand awesome nice sweet fab
    excellent wonderful super alright spelt spelled spelling mums moms dads mum mom dad wifes husbands he she
    they him his her hers their
    oh ohh ah ahh btw ps fyi plus anyway oops too
    """.split()
)


@dataclass(slots=True)
class PatientDetails:
    """The patient's details as given so far (by one message, or by the whole conversation)."""

    name: str | None = None
    email: str | None = None
    phone: str | None = None
    bad_email: str | None = None  # given but not valid: asked again
    bad_phone: str | None = None
    reason: str | None = None

    @property
    def has_details(self) -> bool:
        return bool(self.name or self.email or self.phone or self.bad_email or self.bad_phone)


# What makes an utterance change or pick the slot being looked for, ask for a visit, or be
# understood at all (the flags below; `ordinal` and `bare_number` count when not None).
_SLOT_FACTS = (
    "type",
    "day",
    "past_day",
    "window",
    "any_time",
    "times",
    "later",
    "earlier",
    "more",
    "earliest",
    "other_day",
)
_ASKS_FOR_VISIT = ("type", "generic_visit", "wants_booking", "has_details", "times", "earliest")
_SOCIAL = ("yes", "no", "greeting", "thanks", "bye", "help", "injection", "cancel", "medical", "off_topic", "retry")


@dataclass(kw_only=True, slots=True)
class Utterance(PatientDetails):
    """What one patient message says; everything optional."""

    text: str
    type: str | None = None
    generic_visit: bool = False
    sees_doctor: bool = False  # "see a doctor / someone": a consultation, whatever an earlier question named
    day: date | None = None
    past_day: date | None = None
    past_told: bool = False  # ... said in a sentence about the past ("he was a bit warm yesterday")
    day_note: str | None = None
    refused_days: tuple[int, ...] = ()  # "not monday or tuesday" with no week: the day is the soonest other one
    week_part: int | None = None  # "later in the week" with no week: its weekday, in a week looked at before
    bare_weekday: bool = False  # the day was named by its weekday alone ("monday's fine"): maybe a day offered
    # the day was named by a bare ordinal alone ("2nd", "ok the 1st then"): with times on offer, a pick
    # of the one at this index (state.py), never the day of the month
    dom_pick: int | None = None
    window: str | None = None
    busy_window: bool = False  # the window is only a busy clause ("i have a meeting at 11"): it narrows
    any_time: bool = False
    times: tuple[str, ...] = ()
    ordinal: int | None = None
    bare_number: int | None = None
    yes: bool = False
    no: bool = False
    greeting: bool = False
    thanks: bool = False
    bye: bool = False
    help: bool = False
    injection: bool = False
    cancel: bool = False  # an existing booking is meant (to look up, move or cancel)
    manage: str | None = None  # "cancel" | "move" | "keep": what to do with an existing booking
    code: str | None = None  # a confirmation code, upper-cased
    type_in_past: bool = False  # the type was named only of a past visit (context, not a request)
    name_fix: tuple[str, str] | None = None  # "it's Siobhan not Siobahn": (the right word, the wrong one)
    instead: bool = False  # "... instead": a change of something already agreed
    same_day: bool = False  # "same day at 4", "that day": the day already agreed
    shift: int | None = None  # "push it back an hour": minutes later (negative: earlier) than agreed
    same_time: bool = False  # "same time on friday": the time already agreed
    medical: bool = False
    off_topic: bool = False
    retry: bool = False
    later: bool = False
    earlier: bool = False
    more: bool = False
    other_day: bool = False  # "a different day maybe?": the day is open again
    same: bool = False  # "the same for my son": like the visit just booked
    about_details: bool = False
    that_pick: bool = False  # "that works", "sure that": the one time offered
    aside: bool = False  # only a remark about the chat ("oops typo", "one sec"): nothing to act on
    for_other: bool = False  # "for his sister", "my husband too": someone named by who they are
    earliest: bool = False
    wants_booking: bool = False

    def _any(self, flags: tuple[str, ...]) -> bool:
        return any(getattr(self, flag) for flag in flags)

    @property
    def has_slot_facts(self) -> bool:
        """Something that changes or picks the slot being looked for."""
        return self._any(_SLOT_FACTS) or self.ordinal is not None or self.bare_number is not None

    @property
    def off_topic_only(self) -> bool:
        """Medical advice, the weather...: nothing in it asks for a visit (a bare day does not)."""
        asks = self._any(_ASKS_FOR_VISIT) or self.ordinal is not None
        return (self.off_topic or self.medical) and not asks

    @property
    def understood(self) -> bool:
        return self.has_slot_facts or self.has_details or self._any(_SOCIAL) or self.wants_booking or self.generic_visit


# what makes a remark about the chat ("oops typo") more than that
_NOT_ASIDE: tuple[str, ...] = (*_SLOT_FACTS, "has_details", "manage", "code", "generic_visit", "wants_booking")
_NOT_ASIDE += ("cancel", "help", "injection", "medical", "off_topic", "that_pick", "same", "shift", "instead")
_NOT_ASIDE += ("same_day", "same_time")
# a plain answer beside the remark makes it more than one ("sorry, yes please", "lol no")
_ANSWER_WORD = re.compile(r"\b(?:no|nope|nah|not|don'?t|yes|yeah|yep|yup|sure|please|pls)\b")

_BARE_WEEKDAY = re.compile(r"(?:on\s+)?(?:" + "|".join(WEEKDAY_NAMES) + ")")  # not "this/next monday"
_BARE_DOM = re.compile(r"(?:the\s+)?([1-5])(?:st|nd|rd|th)")  # not "on the 2nd", "tuesday the 2nd", "2nd of may"
# ... and not a day asked about: "how about the 3rd instead?", "is the 4th free" ("2nd is fine" is a pick)
_DOM_ASKED = re.compile(r"\?|\b(?:about|free|available|instead|open|any|anything|is\s+the|do\s+you|are\s+you)\b")
_SAME_DAY = re.compile(r"\b(?:(?:the\s+)?same\s+(?:day|date)|that\s+(?:same\s+)?day|on\s+the\s+day)\b")
_SAME_DAY_CUES = cues("same", "that", "day")  # prefilter (see _FLAG_CUES)


def _cut(text: str, span: tuple[int, int]) -> str:
    """Blank a consumed span (keeping offsets, so later spans stay valid)."""
    start, end = span
    return text[:start] + " " * (end - start) + text[end:]


# the domain put right after the address: "sam@gmial.com - sorry gmail.com", "x@hotmial.com i mean hotmail.com"
_DOMAIN_FIX = re.compile(
    r"[\s,.;:!()-]*(?:(?:oops|sorry|sry|typo|correction|i\s+mean|i\s+meant|meant|should\s+be|it'?s|its|make\s+that)"
    r"[\s,.;:!-]*)+@?([a-z0-9-]+(?:\.[a-z0-9-]+)*\.[a-z]{2,})\b(?![@.-]?[a-z0-9])"
)
# between two addresses, words that put the first right ("a@exmaple.com oops i mean a@example.com")
_EMAIL_FIX = re.compile(r"\b(?:oops|sorry|sry|typo|correction|mean|meant|should\s+be|actually|wrong|not)\b")


def _find_email(u: Utterance, text: str) -> str:
    """The e-mail address; a second one that puts the first right (after "oops i mean", or with the
    same name before the @) wins, and so does a domain put right after it ("- sorry gmail.com")."""
    if "@" not in text:
        return text  # the pattern needs one (and tries every position to find it)
    end = None
    for m in _EMAIL.finditer(text):
        candidate = m[0].strip(".")
        if len(candidate) <= 1 or _AT_TIME_NO_ADDRESS.fullmatch(candidate):
            continue  # a bare "@", or "fri @3pm" / "@930": a time, no address
        if end is not None:
            between = text[end : m.start()]
            if not (_EMAIL_FIX.search(between) or _local(candidate) == _local(u.email or u.bad_email or "")):
                break  # another person's address ("mine is ..., my husband's is ..."): the first stays
        if (fix := _DOMAIN_FIX.match(text, m.end())) and "@" in candidate:
            candidate = f"{_local(candidate)}@{fix[1]}"
            text = _cut(text, fix.span())
        u.email, u.bad_email = (candidate, None) if is_email(candidate) else (None, candidate)
        text, end = _cut(text, m.span()), (fix.end() if fix else m.end())
    return text


def _local(address: str) -> str:
    return address.partition("@")[0]


def _find_code(u: Utterance, text: str) -> str:
    """A confirmation code, blanked from the text so its digits are never read as times."""
    digits = _ANY_DIGIT.search(text) is not None  # a code has a digit, unless "code" or "conf..." leads it
    named = "code" in text or "conf" in text
    m = (_CODE_AFTER_WORD.search(text) if named else None) or (_CODE_WORD.search(text) if digits else None)
    if m is None:
        return text
    group = m.lastindex or 0
    u.code = m[group].upper()
    return _cut(text, m.span(group))


def _find_manage(u: Utterance, norm: str) -> None:
    """Cancel, move or keep an existing booking. A bare "cancel" (at a confirmation) stays a no."""
    if cued(norm, _KEEP_CUES) and _KEEP.search(norm):
        u.manage = "keep"
        return
    u.instead = "instead" in norm and _INSTEAD.search(norm) is not None
    if cued(norm, _CANCEL_CUES) and (_CANCEL_IT.search(norm) or u.code) and not CANCEL_IF.search(norm):
        u.manage, u.no = "cancel", False
    elif (
        cued(norm, _RESCHEDULE_CUES)
        and _RESCHEDULE.search(norm)
        or (_says_move(norm) and (u.cancel or u.code or _BOOKING_WORD.search(norm) or _moves_mine(norm)))
        or _later_in_own_day(norm)
    ):
        u.manage = "move"
    elif u.cancel or (cued(norm, _CANT_MAKE_CUES) and _CANT_MAKE.search(norm) and not _NEW_REQUEST.search(norm)):
        u.manage = "look"  # an existing booking, but what to do with it is not said yet


def _find_phone(u: Utterance, text: str, phone_expected: bool) -> str:
    if _ANY_DIGIT.search(text) is None:
        return text  # no digit, no phone number
    phoneish = phone_expected or _PHONE_WORD.search(text) is not None
    for m in _PHONE.finditer(text):
        candidate = m[0].strip()
        if _ISO_DATE.fullmatch(candidate):
            continue  # an impossible ISO date ("2026-02-30") is not a phone number
        digits = sum(ch.isdigit() for ch in candidate)
        if 7 <= digits <= 15:
            u.phone = candidate
        elif digits >= 5 or (phoneish and digits >= 4):
            u.bad_phone = candidate
        else:
            continue
        return _cut(text, m.span())
    return text


def _find_type(u: Utterance, text: str, past_days: tuple[tuple[int, int], ...] = (), whole: str = "") -> str:
    """The type asked for. A specialty asked for wins ("a check-up with the dermatologist");
    otherwise the first type named outside a sentence about the past ("my physical was on the 3rd
    and I need to go over the results" asks for a follow-up), then one in such a sentence, and
    last the past visit named as such ("at my checkup", "my checkup on Nov 20": `past_days` are
    the spans of the days before today and of past months ("my physical in october"); `whole`, the
    message before they were cut out)."""
    if cued(text, _UNWANTED_CUES):
        for unwanted in _UNWANTED_TYPE.finditer(text):
            text = _cut(text, unwanted.span())  # "instead of the consultation" names the type not wanted
    found: list[tuple[int, int, str, tuple[int, int]]] = []
    for key, compiled, type_cues in _TYPE_RES:
        if type_cues is not None and not cued(text, type_cues):
            continue
        for m in compiled.finditer(text):
            before = text[max(0, m.start() - 40) : m.start()]
            dated = any(_ON_PAST_DAY.fullmatch(text, m.end(), start) for start, _ in past_days if start >= m.end())
            if _PAST_VISIT.search(before) or dated:
                rank = 2  # the past visit itself
            else:
                requested = _REQUESTED.search(before) is not None and _PAST_ERRAND.search(before) is None
                # the whole message: the days already read ("last time") still say it is the past
                rank = int(in_past(whole or text, m.start()) and not requested)
            found.append((rank, m.start(), key, m.span()))
    if found:
        best = [f for f in found if f[0] == min(f[0] for f in found)]
        # of the types asked for alike, a specialty wins ("a check-up with the dermatologist"); a
        # specialist seen in the past does not ("saw the dermatologist, they said to book a follow-up")
        rank, _, u.type, _ = next((f for f in best if f[2] == "specialist"), min(best))
        u.type_in_past = rank > 0  # "they did bloods last time": named only of a past visit
        for *_, span in found:
            text = _cut(text, span)
    u.generic_visit = cued(text, _GENERIC_CUES) and _GENERIC_RE.search(text) is not None
    see = _SEE_DOCTOR_RE.search(text) if u.generic_visit else None
    u.sees_doctor = see is not None
    if see and u.type_in_past and not in_past(whole or text, see.start()):
        # "was in for my annual in october, now i need to see someone about a rash": the past
        # visit is context, and seeing someone is a consultation
        u.type, u.type_in_past = "consultation", False
    return text


# a word of the name put right: "it's Siobhan not Siobahn", "Siobhan, not Siobahn", "spelt Aoife not Afie"
_NAME_FIX = re.compile(
    rf"(?i:\b(?:it'?s|it\s+is|its|name\s+is|spelt|spelled|should\s+be|sorry|typo)[\s,:]+)?({_NAME_WORD})\s*,?\s+"
    rf"(?i:not)\s+({_NAME_WORD})\s*[.!]*$"
)
# a letter that is not lower-case ASCII, other than the word "I" ("I'm", "I'd")
_CAPITAL = re.compile(r"(?!I\b|I')[^\W\d_a-z]")


# a booking for a relative named at once, typed in lower case: "can you book my husband raj patel
# in for a physical", "could i book my son leo garcia for a follow up" (two words, then the request)
_BOOK_RELATIVE = re.compile(
    rf"\b(?:book|schedule|get|bring|put)\s+(?:in\s+)?my\s+{_RELATIVE_WORDS}\s+"
    rf"({_NAME_WORD}[ \t]+{_NAME_WORD})(?=[ \t]+(?:in|for|on|at|to|this|next|tomorrow|today)\b|\s*[,.!?])"
)


def _may_name(u: Utterance, text: str, low: str, details_expected: bool) -> bool:
    """Whether `_find_name` could find a name: with no details given or asked for, each of its
    rules needs a capitalised word, the words "name" / "call me" or a relative booked by name (a
    cheap test on the path of every message, which spares most of them the name rules)."""
    given = details_expected or u.email or u.phone or u.bad_email or u.bad_phone
    booked = "my " in low and _BOOK_RELATIVE.search(low) is not None
    return bool(given or "name" in low or "call me" in low or booked or _CAPITAL.search(text))


def _find_name(u: Utterance, rest: str, details_expected: bool) -> None:
    """Explicit ("my name is ..."), introduced ("I'm Jane Roe") or a bare name line among details.

    `rest` is the message with e-mail, phone, dates and times already blanked out, so
    "it's jane@example.com" never yields a name.
    """
    words = rf"({_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,3}})"
    if m := re.search(
        r"(?i)\b(?:my\s+name\s+is|my\s+name'?s|name\s*(?:is|:)|name'?s|call\s+me|full\s+name\s*(?:is|:)?|"
        r"(?:s?he|they)(?:'?s|\s+is|'?re|\s+are)\s+(?:called|named))"
        rf"[ \t]+{words}",
        rest,
    ):
        u.name = _clean_name(m[1], strict=False)
        if u.name:
            return
    # the name put right: "my name's spelt wrong, should be John Doyle"
    if "name" in rest.lower() and (m := _NAME_SHOULD_BE.search(rest)):
        u.name = _clean_name(m[1], strict=False)
        if u.name:
            return
    for m in re.finditer(rf"{_FOR_SOMEONE}[ \t]+{words}", rest):
        typed = m.group(m.re.groups)  # the last group: the words after it, as typed
        candidate = _clean_name(typed, strict=False, need_capitals=not details_expected)
        if not candidate or _titled(candidate):
            continue
        if m["bare"] is None or details_expected or len(candidate.split()) >= 2:  # "for Ana Diaz": two words
            u.name = candidate
            return
    if "my " in rest and (m := _BOOK_RELATIVE.search(rest)) and (candidate := _clean_name(m[1], strict=True)):
        u.name = candidate  # "book my husband raj patel in for a physical": lower case, as typed
        return
    if m := re.search(rf"(?i)\b(?:i'?m|i\s+am|this\s+is|it'?s|s?he'?s|s?he\s+is)[ \t]{{1,2}}{words}", rest):
        candidate = _clean_name(m[1], strict=not details_expected, need_capitals=not details_expected)
        if candidate:
            u.name = candidate
            return
    given = details_expected or u.email or u.phone or u.bad_email or u.bad_phone
    if not (given or u.day or u.times):
        return  # a bare name line only among details, or after a request ("Tuesday at 9. Jane Roe")
    social = u.bye or u.thanks or u.help or u.cancel or u.injection or u.off_topic or u.medical or u.greeting
    if social and not (u.email or u.phone):
        return  # "bye" or "thanks" on its own is not a name
    labels = (
        r"(?i)\b(?:my\s+)?(?:full\s+)?(?:name(?:'?s\b)?|e-?mail(?:\s+address)?|phone(?:\s+number)?|number|mobile|cell)"
        r"\s*(?:is|:)?"
        r"|\b(?:and|it'?s|i'?m|i\s+am|this\s+is|sure|ok(?:ay)?|here\s+you\s+go|here)\b"  # "Grace Liu here"
    )
    statements = _QUESTIONS.sub(lambda q: " " * len(q[0]), rest)  # "do you need my phone too?" names no one
    for segment in re.split(r"[,;\n/.!?]|\s-\s", re.sub(labels, ",", statements)):
        candidate = _clean_name(segment, strict=True, need_capitals=not given)
        tokens = segment.split()
        if candidate is None and tokens and _clinic_token(tokens[0]):
            while tokens and _clinic_token(tokens[0]):
                tokens.pop(0)  # "please Jane Roe", "for Jane Roe": capitals then say it is a name
            candidate = _clean_name(" ".join(tokens), strict=True, need_capitals=True) if tokens else None
        if candidate and (len(candidate.split()) >= 2 or details_expected) and not _titled(candidate):
            u.name = candidate
            return


_QUESTIONS = re.compile(r"[^.!?\n]*\?")
_TITLES = {"dr", "doctor", "prof", "professor", "nurse"}


def _titled(name: str) -> bool:
    """ "Dr Lee" is the doctor asked for, not the patient."""
    return name.split()[0].lower().rstrip(".") in _TITLES


_GIVEN_NAMES = {"april", "may", "june", "august"}  # months that are first names too ("June Park")


def _clinic_token(token: str) -> bool:
    """A word that is not part of a name (a capitalised April/May/June/August may be)."""
    low = token.lower()
    return low in _NOT_NAME and not (low in _GIVEN_NAMES and token[0].isupper())


def _clean_name(raw: str, strict: bool, need_capitals: bool = False) -> str | None:
    """A plausible personal name from `raw`, or None; all-lower-case input is title-cased."""
    tokens = re.findall(_NAME_WORD, raw)
    if not tokens:
        return None
    if not strict:
        # stop at the first word that is clearly not part of a name ("... and my email is")
        kept = []
        for token in tokens:
            if _clinic_token(token):
                break
            kept.append(token)
        tokens = kept
    stripped = re.sub(rf"{_NAME_WORD}", "", raw).strip(" .!?'\"")
    if strict and stripped:
        return None
    if not tokens or len(tokens) > 4 or any(_clinic_token(t) for t in tokens):
        return None
    if need_capitals and not all(t[0].isupper() for t in tokens):
        return None
    name = " ".join(tokens)
    return name.title() if name.islower() else name


def parse(text: str, today: date, *, details_expected: bool = False, phone_expected: bool = False) -> Utterance:
    """All the facts in one message; `details_expected` when the last question asked for name/e-mail/phone.

    Cached: the model replays the whole history on every call, so each message is read once.
    """
    return _parse(text, today, details_expected, phone_expected)


@functools.lru_cache(maxsize=4096)
def _parse(text: str, today: date, details_expected: bool, phone_expected: bool) -> Utterance:
    u = Utterance(text=text)
    low = " ".join(text.lower().replace("’", "'").split())
    u.yes, u.no = is_affirmative(low), is_negative(low)
    if cued(text, _REASON_CUES) and (m := _REASON.search(text)):
        u.reason = m[1].strip()
    # details are read from the patient's own text; everything else from the normalised one
    raw = _find_code(u, _find_email(u, low))
    raw = _find_phone(u, _blank_dates(raw), phone_expected)
    details = bool(u.phone or u.email or u.bad_phone)
    norm = blank_past_parts(_blank_amounts(normalize(_blank_name_words(text, _blank_details(low, raw), details))))
    for flag, compiled, flag_cues in _FLAG_CHECKS:
        if (flag_cues is None or cued(norm, flag_cues)) and compiled.search(norm):
            setattr(u, flag, True)
    u.that_pick = cued(norm, _THAT_PICK_CUES) and _THAT_PICK.search(norm) is not None
    _find_manage(u, norm)
    u.same_day = cued(norm, _SAME_DAY_CUES) and _SAME_DAY.search(norm) is not None
    u.shift = _shift(norm) if cued(norm, _SHIFT_CUES) else None
    if u.shift is not None:
        u.later = u.earlier = False  # "an hour later" is a move of the agreed time, not "later times"
    u.same_time = "same" in norm and _SAME_TIME.search(norm) is not None
    rest = norm
    if m := _GREETING.match(rest):
        u.greeting = True
        rest = _cut(rest, m.span())
    if "how" in rest or "hope" in rest:
        for m in _SMALL_TALK.finditer(rest):
            u.greeting = True  # "how are you today" asks after the front desk, not for today
            rest = _cut(rest, m.span())
    # prefilters read on `norm` also hold for `rest`, which is `norm` with spans blanked: a cue
    # without a space, or a digit, seen in `rest` is in `norm` at the same place
    ordinal_word = cued(norm, _ORDINAL_CUES)
    digit = _ANY_DIGIT.search(norm) is not None
    if ordinal_word and (m := _STRONG_PICK.search(rest)):
        u.ordinal = _ORDINALS[m[1]]
        rest = _cut(rest, m.span())
    if digit and (m := _NUMBERED_PICK.search(rest)):
        u.ordinal = int(m[1]) - 1
        rest = _cut(rest, m.span())
    if u.ordinal is None and cued(rest, _ANY_PICK_CUES) and _ANY_PICK.search(rest):
        u.ordinal = 0  # "either is fine", "whichever", "up to you"
    if u.ordinal is None and ("ter" in rest or "lier" in rest) and (m := _RELATIVE_PICK.search(rest)):
        u.ordinal = _RELATIVE_ORDINALS[m[1] or m[2]]
        u.later = u.earlier = False
        rest = _cut(rest, m.span())
    if found := find_day(rest, today):
        if found.day < today:
            u.past_day, u.past_told = found.day, in_past(rest, found.span[0])
        else:
            u.day, u.day_note, u.refused_days, u.week_part = found.day, found.note, found.refused, found.week_part
            u.bare_weekday = len(found.spans) == 1 and _BARE_WEEKDAY.fullmatch(rest, *found.spans[0]) is not None
            if (
                len(found.spans) == 1
                and (m := _BARE_DOM.fullmatch(rest, *found.spans[0]))
                and not _DOM_ASKED.search(low)
            ):
                u.dom_pick = int(m[1]) - 1
        for span in found.spans:
            rest = _cut(rest, span)
    past_days = (found.past_spans if found else ()) + past_months(rest, today)
    rest = _find_type(u, rest, past_days, norm)
    times = find_times(rest)
    u.window, u.times, u.any_time, u.busy_window = times.window, times.readings, times.any_time, times.busy_only
    for span in times.spans:
        rest = _cut(rest, span)
    busy_clock = u.busy_window or (u.times and _said_before_clock(_BUSY_AT, norm, times.spans[-1]))
    if busy_clock and (hour := _hour_in_context(rest)):
        # "could we do 3 instead, I have a meeting at 2": 3, and the meeting is the reason, no bound
        u.times = hour_readings(hour)
        if u.busy_window:
            u.window, u.busy_window = None, False
    elif u.times and u.window and _said_before_clock(_PLANS_AT, norm, times.spans[-1]):
        u.times = ()  # "between 1 and 3, i have a hair appointment at 4": the window is asked, not the 4
    if u.times or u.day:
        u.later = u.earlier = u.more = False  # (with a window, "anything else that morning?" still pages)
    if not (u.times or u.window) and digit and (hour := _hour_in_context(rest)):
        u.times = hour_readings(hour)  # "can i do 4 instead", "make it 10 instead", "is 10 free?"
        u.later = u.earlier = u.more = False
    if u.ordinal is None and ordinal_word and (m := _WEAK_PICK.search(rest)) and not _adverb_ordinal(rest, m.start()):
        u.ordinal = _ORDINALS[m[1]]
        rest = _cut(rest, m.span())
    if digit and (m := _BARE_PICK.fullmatch(rest)):
        number = int(m[1])
        if 1 <= number <= 24 and not u.times:
            u.bare_number = number
    if " not " in low and (m := _NAME_FIX.search(text)) and not (_clinic_token(m[1]) or _clinic_token(m[2])):
        u.name_fix = (m[1][0].upper() + m[1][1:], m[2])  # "sorry typo, it's Siobhan not Siobahn": no aside
    if "?" in low and not any(ch.isalnum() for ch in low):
        u.aside = True  # a bare "?" / "??": what was asked is asked again
    if u.aside and not (
        _ANSWER_WORD.search(norm)  # "no sorry", "hmm not sure", "lol yes": more than an aside
        or any(getattr(u, f) for f in _NOT_ASIDE)
        or u.ordinal is not None
        or u.bare_number
        or u.name_fix
        or "name" in low  # "sorry, his name should be Leon Park"
    ):
        u.yes = u.thanks = False  # "haha ok", "sorry, one sec": neither a yes, a no nor a name
        u.no = u.no and "wait" in norm  # ... but a "wait" typed at a card still declines it (state.py)
        return u
    u.aside = False
    if (details_expected or u.has_details or u.day or u.times or _NAME_HINT.search(low)) and _may_name(
        u, text, low, details_expected
    ):
        _find_name(u, _name_text(text, raw), details_expected)
    if digit and u.name and u.bare_number is None and not u.times:
        u.bare_number = _pick_before_details(rest, u.name)  # "11 please. Rosa Diaz rosa@..., 555 ..."
    return u


_SPACES = re.compile(r" +")


def _blanked_like(text: str, blanked: str) -> str:
    """`text` with spaces wherever the same-length `blanked` has them (run by run: it is on the
    path of every message)."""
    parts: list[str] = []
    last = 0
    for m in _SPACES.finditer(blanked):
        parts += (text[last : m.start()], m[0])
        last = m.end()
    parts.append(text[last:])
    return "".join(parts)


# a bare hour as the whole message, in the words people pick with: "9", "the 10 one", "ok 9 it is",
# "let's do 10 then", "how about 2", "2 works for me"
_BARE_PICK = re.compile(
    r"\W*(?:(?:ok(?:ay)?|yes|yeah|yep|sure|so|right|actually|hmm+|um+|then|let'?s\s+(?:do|go\s+with|say)|"
    r"i'?ll\s+(?:take|do|go\s+with)|go\s+with|make\s+it|how\s+about|what\s+about)\W+)*"
    r"(?:the\s+)?(\d{1,2})"
    r"(?:\s+(?:one|please|pls|it\s+is|then|works|is\s+(?:fine|good|great|perfect)|sounds\s+good|for\s+me|thanks|thx))*\W*"
)


# what stands between a bare pick and the name given after it ("lets go with 2, its Priya Nair"),
# and after the name beside the blanked e-mail and phone ("..., my email is ..., phone ...")
_BEFORE_NAME = re.compile(r"\W*(?:it'?s|i'?m|i\s+am|this\s+is|(?:my\s+)?name(?:'?s|\s+is)|for)?\W*$")
_AFTER_NAME = re.compile(
    r"(?:\W|\b(?:and|my|is|e-?mail|phone|number|cell|mobile|thanks|thx|please|pls)\b)*",
)


def _pick_before_details(rest: str, name: str) -> int | None:
    """A bare hour picked before the name, e-mail and phone in one message ("11 please. Rosa Diaz
    rosa@example.com 555 777 1212"): the hour, or None. The e-mail and phone are blanked in
    `rest`, so their digits are never a pick; a number after the name is none either."""
    at = rest.find(name.lower())
    if at < 0 or not _AFTER_NAME.fullmatch(rest, at + len(name)):
        return None
    lead = rest[:at]
    if (cut := _BEFORE_NAME.search(lead)) is not None:
        lead = lead[: cut.start()]
    m = _BARE_PICK.fullmatch(lead)
    return int(m[1]) if m and 1 <= int(m[1]) <= 24 else None


def _blank_details(low: str, raw: str) -> str:
    """`low` with the e-mail and phone blanked, as `raw` has them."""
    if raw == low:
        return low  # most messages give neither: skip the walk
    return _blanked_like(low, raw)


# a weekday abbreviation that is a surname as typed: "Thanks, Amy Sun", "it's for Lily Wed"
_NAMED_ABBREVIATION = re.compile(r"\b([A-Z][a-z]+)[ \t]+(Sun|Sat|Mon|Wed)\b(?!['\w])")
_DAY_WORDS = frozenset((*WEEKDAY_NAMES, *MONTH_NAMES, "today", "tomorrow", "tonight"))  # "It's Tuesdy": a day
# a name introduced as such, whose words the speller must not "correct" ("I'm Noor Haddad": not noon)
_INTRODUCED = re.compile(
    r"\b(?:[Ii]'?m|[Ii] am|[Tt]his is|[Mm]y name is|[Nn]ame'?s|[Ii]t'?s)[ \t]+([A-Z][a-z]+)(?:[ \t]+([A-Z][a-z'-]+))?"
)


# a capitalised pair right before a phone number or an e-mail: "10 is fine, Noor Haddad 555 123 4567"
_NAME_BEFORE_DETAILS = re.compile(
    r"\b([A-Z][a-z]+)[ \t]+([A-Z][a-z'-]+)(?=[ \t]*[,;:-]?[ \t]*(?:\+?\(?\d{3}|[\w.+-]+@))"
)


def _blank_name_words(original: str, low: str, details: bool = False) -> str:
    """`low` without the words of a capitalised name in `original` that the rules would read as
    something else (names are read from the original text, so nothing is lost)."""
    # cheap substring checks first: every message comes here, and few name anyone
    abbreviated = ("Sun" in original or "Sat" in original or "Mon" in original or "Wed" in original) and (
        _NAMED_ABBREVIATION.search(original) is not None
    )
    # "I'm", "I am", "this is", "my name is", "it's", "its", "name's", "names"
    cue = "m " in original or "is " in original or "'s " in original or "ts " in original or "mes " in original
    introduced = cue and _INTRODUCED.search(original) is not None
    detailed = details and (  # a phone or an e-mail was given: a name may stand before it
        _NAME_BEFORE_DETAILS.search(original) is not None
    )
    if not (abbreviated or introduced or detailed):
        return low
    cased = " ".join(original.replace("’", "'").split())
    if len(cased) != len(low):
        return low
    for m in _NAMED_ABBREVIATION.finditer(cased):
        if m[1].lower() not in _NOT_NAME and m[1].lower() not in VOCABULARY_SET:
            low = _cut(low, m.span(2))
    named = [*_INTRODUCED.finditer(cased), *_NAME_BEFORE_DETAILS.finditer(cased)] if introduced or detailed else []
    for m in named:
        for group in (1, 2):
            word = (m[group] or "").lower()
            fixed = correct(word) if word else word
            if fixed != word and fixed not in _DAY_WORDS and word not in VOCABULARY_SET and word not in ABBREVIATIONS:
                low = _cut(low, m.span(group))  # a misspelt clinic word to the speller, a name here
    return low


# Numbers that are an age or a sum of money, never an hour or a day: "my son is 4", "she's 12",
# "hes 7 and", "aged 9", "my twins are 5", "I'm 65", "8 months pregnant", "a 6 year old", "$20",
# "40 dollars", "£15". Not a time said after them ("she is 4 - 4pm ok?" keeps the 4pm).
_PERSON = (
    r"(?:son|daughter|boy|girl|kid|child|baby|toddler|twins|kids|children|mum|mom|mother|dad|father|husband|wife|"
    r"partner|grandma|grandpa|grandmother|grandfather|nan|he|she|they|i|we)"
)
_AMOUNTS = re.compile(
    rf"\b(?:{_PERSON}(?:'s|'m|'re|\s+is|\s+are|\s+am|\s+(?:just\s+)?turn(?:ed|s|ing))|hes|shes|im)\s+(?P<a>\d{{1,3}})\b"
    r"(?!\s*(?:[:.]\d|[ap]\.?m\b|-|–|to\b|till?\b|until\b|ish\b|o'?clock|or\s+later|onwards?))"
    r"|\baged?\s+(?P<b>\d{1,3})\b"
    r"|\b(?P<c>\d{1,3})\s*(?:-|\s)?(?:years?|yrs?|months?|weeks?)[\s-]*(?:old|pregnant)\b|\b(?P<d>\d{1,3})\s*y/?o\b"
    r"|(?P<e>[$£€]\s*\d+(?:[.,]\d{1,2})?|\b\d+(?:[.,]\d{1,2})?\s*(?:dollars?|bucks|quid|pounds?|euros?|usd|cents?)\b)"
)
_AMOUNT_HINT = re.compile(
    r"[$£€]|\d\s*(?:years?|yrs?|months?|weeks?|y/?o|dollars?|bucks|quid|pounds?|euros?|usd|cents?)\b|"
    r"(?:is|are|am|'s|'m|'re|aged?|turn\w*|hes|shes|im)\s+\d"
)
_AMOUNT_CUES = cues("$", "£", "€", DIGIT_CUE)  # prefilter of the hint itself (see _FLAG_CUES)


def _blank_amounts(norm: str) -> str:
    """`norm` without ages and sums of money (see _AMOUNTS): they are never an hour or a day."""
    if not (cued(norm, _AMOUNT_CUES) and _AMOUNT_HINT.search(norm)):
        return norm  # most messages have neither
    for m in list(_AMOUNTS.finditer(norm)):
        norm = _cut(norm, m.span(next(g for g in "abcde" if m[g])))
    return norm


def _blank_dates(text: str) -> str:
    """ISO dates and times are never phone numbers; keep them out of the phone reader's sight."""
    if "-" not in text:
        return text  # no ISO date without a dash
    return _ISO_DATE.sub(lambda m: "#" * len(m[0]), text)


_NAME_SHOULD_BE = re.compile(
    r"(?i)\b(?:should\s+(?:be|read|say)|(?:it'?s|is)\s+actually|actually\s+it'?s)[ \t]+"
    rf"({_NAME_WORD}(?:[ \t]+{_NAME_WORD}){{0,3}})"
)
_NAME_TEXT_WORD = re.compile(r"[^\W\d_][\w'-]*|\d(?:[\d:./-]*\d)?(?:st|nd|rd|th)?")


def _name_text(original: str, raw: str) -> str:
    """Where a name may be: the original-case text, without e-mail, phone, clinic words or numbers."""
    text = _original_rest(original, raw)
    # a number's own full stop stays: it ends the sentence ("she is 7. Noor Haddad")
    # ("14th" is one word: a number, so its "th" is never taken for a name)
    return _NAME_TEXT_WORD.sub(lambda m: " " * len(m[0]) if _not_a_name(m[0]) else m[0], text)


@functools.lru_cache(maxsize=8192)  # pure, and the same words come in every message
def _not_a_name(word: str) -> bool:
    """Numbers and the clinic's own words as typed in lower case; never a misspelling (a name
    such as "Noor" is one edit from "noon") and never a capitalised word."""
    low = word.lower()
    if not word.isalpha() and any(ch.isdigit() for ch in word):  # most words are letters only: skip the walk
        return True
    return word == low and low not in _NOT_NAME and (low in VOCABULARY_SET or low in ABBREVIATIONS)


def _original_rest(original: str, rest: str) -> str:
    """The original-case characters of `original` wherever `rest` still has text."""
    original = " ".join(original.replace("’", "'").split())
    if len(original) != len(rest):
        return rest
    return _blanked_like(original, rest)


# A bare hour that can only be a clock time from the words around it: the verb of a change
# ("do 4", "make it 10", "push it to 4", "move it back to 3", "try 11"), a question about it
# ("is 10 free?", "what about 10", "does 4 work"), or "4 instead" / "10 works better". Never a
# count ("2 weeks", "for 3 people") nor a date ("the 3rd", "12/3"), which are read before this.
_HOUR_IN_CONTEXT = re.compile(
    r"\b(?:do|try|is|does|would|could|maybe|get|have|like|say|chance\s+(?:of|at|for)|(?:how|what)\s+about|make\s+(?:it|that|this)|"
    r"(?:push|move|change|switch|bring|put|shift|make|reschedul\w*|bump)\s+"
    r"(?:it|that|this|(?:the|my|our)\s+\w+)?\s*(?:back|forward|up|over)?\s*to)\s+(?P<a>\d{1,2})"
    # what may follow the hour: the end, or a word that does not make it a count ("2 weeks")
    r"(?=\s*(?:$|[?!.,;)]|(?:instead|please|pls|then|ok|okay|works?|would|is|for|on|that|this|today|tomorrow|"
    r"same|o'?clock|or|and|if|again|ish|maybe|thanks|thx|possible|free|available|open|still|taken|booked|left)\b))"
    r"|\b(?P<b>\d{1,2})\s+(?:instead|again|works?|would\s+(?:work|be\s+(?:better|great|good|fine))|"
    r"is\s+(?:better|fine|good|ok|okay|free|open|available))\b"
)


_AMOUNT = r"(?P<n>an?|one|two|three|half\s+an?|\d{1,3})\s*(?P<unit>hours?|hrs?|h|minutes?|mins?)\b"
_SHIFTS = (
    re.compile(
        r"\b(?:push|move|bring|put|shift|make|bump)\s+(?:it|that|this|(?:the|my|our)\s+\w+)?\s*"
        rf"(?P<way>back|forward|later|earlier)\s+(?:by\s+)?{_AMOUNT}"
    ),
    re.compile(rf"\b{_AMOUNT}\s+(?P<way>later|earlier)\b"),
)
_SHIFT_CUES = cues("back", "forward", "later", "earlier")  # prefilter of both _SHIFTS (see _FLAG_CUES)
_COUNTS = {**NUMBER_WORDS, "a": 1, "an": 1}  # the words _AMOUNT allows


def _shift(norm: str) -> int | None:
    """ "push it back an hour", "half an hour earlier", "move it forward 30 minutes": minutes
    later than the time agreed (negative: earlier), or None."""
    m = _SHIFTS[0].search(norm) or _SHIFTS[1].search(norm)
    if m is None:
        return None
    n = m["n"]
    if n.startswith("half"):
        amount = 30
    else:
        count = int(n) if n.isdigit() else _COUNTS[n]
        amount = count * 60 if m["unit"].startswith("h") else count
    return amount if m["way"] in ("back", "later") else -amount


# what keeps the patient busy at a clock time ("I forgot I have a meeting at 2", "ive got the dentist
# at 1", "the school play is at 10"): the reason for another time, never the time asked for
_BUSY_AT = re.compile(
    r"\b(?:have|has|got|'ve|there'?s)\s+(?:(?:a|an|the|my|his|her|our|another)\s+)?"
    r"(?!(?:it|one|that|this|something|anything)\b)(?:[a-z]+\s+){1,2}$"
    r"|\b(?!it\b|that\b|this\b|what\b|which\b)[a-z]+\s+(?:is|'s)\s+$"
)


# the patient's own plans at a clock, beside a window asked for ("ive got yoga at 11:30"); never a
# visit asked for ("could i have one at 3")
_PLANS_AT = re.compile(
    r"(?<!can\si\s)(?<!could\si\s)(?<!may\si\s)(?<!can\swe\s)(?<!could\swe\s)\b(?:have|has|got|'ve|ive)\s+"
    r"(?:(?:a|an|the|my|his|her|our|another)\s+)?(?!(?:it|one|that|this|something|anything|time|slot|space)\b)"
    r"(?:[a-z']+\s+){1,2}$"
)


def _said_before_clock(pattern: re.Pattern[str], norm: str, span: tuple[int, int]) -> bool:
    """Whether `pattern` (one of the two above) ends right before the clock time at `span` ("at 2"):
    what keeps the patient busy then, or their own plans then."""
    start = span[0]
    return pattern.search(norm, max(0, start - 40), start) is not None


def _hour_in_context(rest: str) -> int | None:
    """The hour said as a clock time without am/pm or "at" (1-12), or None."""
    if m := _HOUR_IN_CONTEXT.search(rest):
        hour = int(m["a"] or m["b"])
        return hour if 1 <= hour <= 12 else None
    return None


def hour_readings(number: int) -> tuple[str, ...]:
    """A bare number as a clock hour ("9" -> 09:00 then 21:00)."""
    return parse_clock(str(number))


# every prefilter with its pattern, for tests/agent/test_offline_prefilters.py
PREFILTERS: dict[str, tuple[re.Pattern[str], Cues | tuple[str, ...]]] = {
    **{
        f"flag {flag}": (compiled, flag_cues)
        for flag, compiled, flag_cues in _FLAG_CHECKS
        if flag_cues and isinstance(compiled, re.Pattern)
    },
    "reason": (_REASON, _REASON_CUES),
    "reschedule": (_RESCHEDULE, _RESCHEDULE_CUES),
    "keep": (_KEEP, _KEEP_CUES),
    "cancel it": (_CANCEL_IT, _CANCEL_CUES),
    "can't make": (_CANT_MAKE, _CANT_MAKE_CUES),
    "move mine": (_MOVE_MINE, _MOVE_MINE_CUES),
    "shift back": (_SHIFTS[0], _SHIFT_CUES),
    "shift later": (_SHIFTS[1], _SHIFT_CUES),
    "strong pick": (_STRONG_PICK, tuple(_ORDINALS)),
    "weak pick": (_WEAK_PICK, tuple(_ORDINALS)),
    "numbered pick": (_NUMBERED_PICK, (DIGIT_CUE,)),
    "bare pick": (_BARE_PICK, (DIGIT_CUE,)),
    "hour in context": (_HOUR_IN_CONTEXT, (DIGIT_CUE,)),
    "generic visit": (_GENERIC_RE, _GENERIC_CUES),
    "unwanted type": (_UNWANTED_TYPE, _UNWANTED_CUES),
    **{f"type {key}": (compiled, type_cues) for key, compiled, type_cues in _TYPE_RES if type_cues},
    "same day": (_SAME_DAY, _SAME_DAY_CUES),
    "move words": (_MOVE_WORDS, _MOVE_CUES),
    "has a booking": (_HAS_BOOKING, _HAS_BOOKING_CUES),
    "another time of its day": (_OTHER_TIME_SAME_DAY, _OTHER_TIME_CUES),
    "amount hint": (_AMOUNT_HINT, _AMOUNT_CUES),
    "spoken clock hint": (SPOKEN_CLOCK_HINT, SPOKEN_CLOCK_CUES),
}
