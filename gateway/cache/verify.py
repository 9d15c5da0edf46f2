"""A cheap check after a vector match: the facts that embeddings blur must agree.

Sentence embeddings put "capital of France" near "capital of Germany" and "2+2" near "2+3". Before a
semantic hit is served, both prompts must agree on numbers (and the operators between them),
negation, quoted strings, proper names and language. Every rule errs towards a miss: a false hit is
a wrong answer, a false miss only costs one upstream call.
"""

from __future__ import annotations

import re
import unicodedata
from difflib import SequenceMatcher

__all__ = ["SUBSTITUTION_MIN_SIMILARITY", "facts_agree"]


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


_NUMBER_WORDS = {
    "zero": "0",
    "one": "1",
    "two": "2",
    "three": "3",
    "four": "4",
    "five": "5",
    "six": "6",
    "seven": "7",
    "eight": "8",
    "nine": "9",
    "ten": "10",
    "eleven": "11",
    "twelve": "12",
    "thirteen": "13",
    "fourteen": "14",
    "fifteen": "15",
    "sixteen": "16",
    "seventeen": "17",
    "eighteen": "18",
    "nineteen": "19",
    "twenty": "20",
    "thirty": "30",
    "forty": "40",
    "fifty": "50",
    "hundred": "100",
    "thousand": "1000",
    "million": "1000000",
}

_NEGATIONS = _wordset(
    """not no never none nobody nothing neither nor cannot without isn't aren't wasn't weren't don't
    doesn't didn't won't wouldn't can't couldn't shouldn't mustn't hasn't haven't hadn't avoid except"""
)

_FUNCTION_WORDS = _wordset(
    """a an the i i'm i've i'd i'll me my mine you your yours we us our they them their he him his she
    her hers it it's its what what's whats which who whom whose when where why how how's is are am was
    were be been being do does did can could would should will shall may might must have has had get
    got in on at for of to from with by about and or but if so as than into onto over under between
    among through during per via vs versus this that these those there here any some all every each
    one ones many much more most very too also just really actually kind sort type way ways thing
    things something anything someone anybody people please"""
)
"""Words that carry no fact: ignored when comparing the content words of two prompts."""

_COMMON_CAPITALISED = _FUNCTION_WORDS | _wordset(
    """tell give show explain describe list write name define summarize summarise compare translate
    help find make create suggest recommend provide calculate compute convert generate hey hi hello
    ok okay thanks thank yes no not quick quickly briefly roughly approximately exactly simply now
    then hmm well"""
)
"""Words that are capitalised at the start of a prompt without being names."""

_MATH_WORDS = _wordset(
    """plus minus times multiplied divided over power squared cubed root percent greater less more fewer
    sum difference product quotient modulo remainder"""
)

_OPPOSITES = tuple(
    tuple(pair.split("/"))
    for pair in _wordset(
        """before/after fast/slow fastest/slowest faster/slower advantages/disadvantages
    advantage/disadvantage pros/cons benefits/risks benefits/drawbacks hot/cold hottest/coldest
    warm/cool large/small largest/smallest larger/smaller big/small biggest/smallest bigger/smaller
    high/low highest/lowest higher/lower increase/decrease increase/reduce open/close read/write
    buy/sell import/export install/uninstall enable/disable add/remove start/stop first/last
    min/max minimum/maximum best/worst cheap/expensive cheapest/priciest push/pull win/lose gain/lose
    positive/negative north/south east/west left/right up/down old/new oldest/newest young/old
    early/late long/short longest/shortest tall/short tallest/shortest heavy/light strong/weak rich/poor
    easy/hard easiest/hardest safe/dangerous legal/illegal true/false accept/reject allow/deny
    allow/block create/delete compress/decompress encode/decode encrypt/decrypt serialize/deserialize
    connect/disconnect mount/unmount lock/unlock login/logout subscribe/unsubscribe upload/download
    above/below inside/outside input/output send/receive zip/unzip boiling/freezing melting/freezing
    sunrise/sunset summer/winter spring/autumn spring/fall morning/evening day/night male/female
    men/women boy/girl adult/child ascending/descending horizontal/vertical uppercase/lowercase
    sync/async synchronous/asynchronous client/server frontend/backend more/less most/least
    maximum/minimum over/under wet/dry full/empty light/dark inner/outer plus/minus"""
    )
)
"""Word pairs whose swap turns a question into a different one."""

SUBSTITUTION_MIN_SIMILARITY = 0.95
"""Prompts that differ only by words swapped one for one in the same frame need this similarity."""

_RELATIONS = _wordset("to into than from vs versus over")
"""Words whose two sides must not swap: "string to integer" is not "integer to string"."""

_LANGUAGE_MARKERS = {
    "en": _wordset("the is are what how why which who of and to in does do you can with for"),
    "fr": _wordset("le la les est quel quelle comment pourquoi de des et une un du avec pour que"),
    "de": _wordset("der die das ist wie warum was und ein eine ich nicht mit für von den"),
    "es": _wordset("el la los las es cómo como por qué que y una un del con para cuál"),
    "it": _wordset("il lo la gli è come perché che e una un del con per qual quale di"),
    "pt": _wordset("o a os as é como por que e uma um do da com para qual"),
    "nl": _wordset("de het een is hoe waarom wat en van met voor niet ik"),
}

_WORD = re.compile(r"[^\W\d_][\w'’-]*", re.UNICODE)
_NUMBER_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+")
_OPERATOR = re.compile(r"(?<=\d)\s*([-+*/x×÷^%=<>])\s*(?=\d)")
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|`([^`]+)`|(?<!\w)'([^']+)'(?!\w)|«([^»]+)»")


def _words(text: str) -> list[str]:
    return [w.replace("’", "'") for w in _WORD.findall(text)]


def _numbers(text: str) -> tuple[list[str], list[str]]:
    """Numbers in order of appearance (digits and number words), and the arithmetic between them."""
    tokens = _NUMBER_TOKEN.findall(text.lower())
    nums = [_NUMBER_WORDS.get(t, t.replace(",", "")) for t in tokens if t[0].isdigit() or t in _NUMBER_WORDS]
    if not nums:
        return [], []
    maths = sorted(_OPERATOR.findall(text)) + sorted(w for w in _words(text.lower()) if w in _MATH_WORDS)
    return nums, maths


def _negated(text: str) -> bool:
    lowered = text.lower().replace("’", "'")
    return any(w in _NEGATIONS or w.endswith("n't") for w in _words(lowered))


def _quoted(text: str) -> set[str]:
    return {next(g for g in m.groups() if g).strip().lower() for m in _QUOTED.finditer(text)}


def _names(text: str) -> set[str]:
    """Capitalised words that are not common words, plus acronyms and identifiers (lowercased)."""
    found: set[str] = set()
    for match in _WORD.finditer(text):
        word = match.group().replace("’", "'")
        stem = re.sub(r"'s$", "", word)
        lowered = stem.lower()
        if not (word[0].isupper() or any(c.isdigit() for c in word) or word[1:] != word[1:].lower()):
            continue
        if lowered in _COMMON_CAPITALISED:
            continue
        found.add(lowered)
    return found


def _language(words: list[str]) -> str | None:
    lowered = [w.lower() for w in words]
    scores = {lang: sum(w in marks for w in lowered) for lang, marks in _LANGUAGE_MARKERS.items()}
    best = max(scores, key=lambda lang: scores[lang])
    ranked = sorted(scores.values(), reverse=True)
    return best if ranked[0] >= 2 and ranked[0] > ranked[1] else None


def _scripts(text: str) -> set[str]:
    return {unicodedata.name(c, "?").split(" ")[0] for c in text if c.isalpha()}


_SUFFIXES = (
    "ences",
    "ence",
    "ents",
    "ent",
    "ies",
    "ers",
    "ors",
    "ing",
    "ed",
    "er",
    "or",
    "es",
    "ly",
    "y",
    "s",
)


def _stem(word: str) -> str:
    """A crude suffix stripper: enough to equate "vaccines"/"vaccine", "painter"/"painted"."""
    word = word.removesuffix("'s")
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _content(text: str) -> list[str]:
    words = (w.lower() for w in _words(text))
    return [
        _stem(w) for w in words if w not in _FUNCTION_WORDS and w not in _NEGATIONS and not w.endswith("n't")
    ]


def _opposed(a: str, b: str) -> bool:
    """True when one prompt uses a word and the other its opposite ("before"/"after")."""
    words_a, words_b = set(_words(a.lower())), set(_words(b.lower()))
    return any(
        (x in words_a and y in words_b and y not in words_a)
        or (y in words_a and x in words_b and x not in words_a)
        for x, y in _OPPOSITES
    )


def _only_substitutions(a: list[str], b: list[str]) -> bool:
    """True when b is a with some content words swapped one for one, in the same frame.

    "chemical symbol for gold" / "… for silver", "poem about the sea" / "story about the sea": the
    sentence frame is identical and one slot differs. Embeddings rate these 0.8–0.95; they are
    different questions far more often than synonyms, so they need SUBSTITUTION_MIN_SIMILARITY.
    """
    if a == b:
        return False
    ops = SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes()
    changed = [op for op in ops if op[0] != "equal"]
    return all(tag == "replace" and i2 - i1 == j2 - j1 for tag, i1, i2, j1, j2 in changed)


def _relations(text: str) -> set[tuple[str, str]]:
    """(left, right) content words around relation words such as `to` and `than`."""
    words = [w.lower() for w in _words(text)]
    pairs = set()
    for i, w in enumerate(words):
        if w in _RELATIONS:
            left = next((x for x in reversed(words[:i]) if x not in _FUNCTION_WORDS), None)
            right = next((x for x in words[i + 1 :] if x not in _FUNCTION_WORDS), None)
            if left and right and left != right:
                pairs.add((left, right))
    return pairs


def _frames_agree(a: str, b: str, similarity: float) -> bool:
    if _opposed(a, b):
        return False
    if similarity < SUBSTITUTION_MIN_SIMILARITY and _only_substitutions(_content(a), _content(b)):
        return False
    rel_b = _relations(b)
    return not any((right, left) in rel_b for left, right in _relations(a))


def _names_agree(a: str, b: str) -> bool:
    words_a = {w.lower().removesuffix("'s") for w in _words(a)}
    words_b = {w.lower().removesuffix("'s") for w in _words(b)}
    return _names(a) <= words_b and _names(b) <= words_a


def facts_agree(a: str, b: str, similarity: float = 1.0) -> bool:
    """Tell whether two prompts agree on numbers, negation, quotes, names, frame, script and language.

    `similarity` is the cosine of their vectors: a one-for-one word swap in the same sentence frame
    ("symbol for gold"/"symbol for silver") passes only above SUBSTITUTION_MIN_SIMILARITY.
    """
    if _numbers(a) != _numbers(b) or _negated(a) != _negated(b) or _quoted(a) != _quoted(b):
        return False
    if _scripts(a) != _scripts(b) or not _names_agree(a, b) or not _frames_agree(a, b, similarity):
        return False
    lang_a, lang_b = _language(_words(a)), _language(_words(b))
    return lang_a == lang_b or lang_a is None or lang_b is None
