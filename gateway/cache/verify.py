"""A cheap check after a vector match: the facts that embeddings blur must agree.

Sentence embeddings put "capital of France" near "capital of Germany" and "2+2" near "2+3". Before a
semantic hit is served, both prompts must agree on numbers (and the operators between them),
negation, quoted strings, proper names and language. Every rule errs towards a miss: a false hit is
a wrong answer, a false miss only costs one upstream call.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["facts_agree"]


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

_COMMON_CAPITALISED = _wordset(
    """a an the i i'm i've i'd i'll what what's whats which who whom whose when where why how how's is
    are was were do does did can could would should will shall may might must have has had be please
    tell give show explain describe list write name define summarize summarise compare translate help
    find make create suggest recommend provide calculate compute convert generate in on at for of to
    from with by about and or but if so my your our their its this that these those there here it it's
    hey hi hello ok okay thanks thank yes no not any some all every each one also just quick quickly
    briefly roughly approximately exactly simply now then hmm well you"""
)

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
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_OPERATOR = re.compile(r"(?<=\d)\s*([-+*/x×÷^%=<>])\s*(?=\d)")
_QUOTED = re.compile(r"\"([^\"]+)\"|“([^”]+)”|`([^`]+)`|(?<!\w)'([^']+)'(?!\w)|«([^»]+)»")
_SENTENCE_START = re.compile(r"(?:^|[.!?:;]\s+|\n)\s*[\"'“(]*$")


def _words(text: str) -> list[str]:
    return [w.replace("’", "'") for w in _WORD.findall(text)]


def _numbers(text: str) -> tuple[list[str], list[str]]:
    nums = [n.replace(",", "") for n in _NUMBER.findall(text)]
    nums += [_NUMBER_WORDS[w] for w in (w.lower() for w in _words(text)) if w in _NUMBER_WORDS]
    return sorted(nums), sorted(_OPERATOR.findall(text))


def _negated(text: str) -> bool:
    lowered = text.lower().replace("’", "'")
    return any(w in _NEGATIONS or w.endswith("n't") for w in _words(lowered))


def _quoted(text: str) -> set[str]:
    return {next(g for g in m.groups() if g).strip().lower() for m in _QUOTED.finditer(text)}


def _names(text: str) -> set[str]:
    """Capitalised words that are not sentence-initial common words, plus acronyms and identifiers."""
    found: set[str] = set()
    for match in _WORD.finditer(text):
        word = match.group().replace("’", "'")
        stem = re.sub(r"'s$", "", word)
        lowered = stem.lower()
        if not (word[0].isupper() or any(c.isdigit() for c in word) or word[1:] != word[1:].lower()):
            continue
        at_start = bool(_SENTENCE_START.search(text[: match.start()]))
        if lowered in _COMMON_CAPITALISED or (at_start and lowered in _COMMON_CAPITALISED):
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


def _names_agree(a: str, b: str) -> bool:
    words_a = {w.lower().removesuffix("'s") for w in _words(a)}
    words_b = {w.lower().removesuffix("'s") for w in _words(b)}
    return _names(a) <= words_b and _names(b) <= words_a


def facts_agree(a: str, b: str) -> bool:
    """Tell whether two prompts agree on numbers, negation, quotes, names, script and language."""
    if _numbers(a) != _numbers(b) or _negated(a) != _negated(b) or _quoted(a) != _quoted(b):
        return False
    if _scripts(a) != _scripts(b) or not _names_agree(a, b):
        return False
    lang_a, lang_b = _language(_words(a)), _language(_words(b))
    return lang_a == lang_b or lang_a is None or lang_b is None
