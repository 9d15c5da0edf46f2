"""The fact check after a vector match: near misses are misses, paraphrases pass."""

from __future__ import annotations

import pytest

from gateway.cache.verify import SUBSTITUTION_MIN_SIMILARITY, facts_agree


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("What is the capital of France?", "what's France's capital city?"),
        ("What is 2+2?", "what's 2 + 2"),
        ("How do I reset my password?", "How can I reset my password?"),
        ("Explain how TCP works", "Can you explain how TCP works?"),
        ("Who wrote Hamlet?", "Who is the author of Hamlet?"),
        ("what is the capital of france", "What is the capital of France?"),
        ("Give me three tips for sleeping better", "What are 3 tips to sleep better?"),
    ],
)
def test_paraphrases_agree(a: str, b: str) -> None:
    assert facts_agree(a, b)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("What is the capital of France?", "What is the capital of Germany?"),
        ("What is 2+2?", "What is 2+3?"),
        ("What is 2*2?", "What is 2+2?"),
        ("Is coffee bad for you?", "Is coffee not bad for you?"),
        ("Should I use Python?", "Shouldn't I use Python?"),
        ("Translate 'hello' to French", "Translate 'goodbye' to French"),
        ("What is the capital of France?", "Quelle est la capitale de la France ?"),
        ("Who wrote Hamlet?", "Who wrote Macbeth?"),
        ("Convert 100 USD to EUR", "Convert 100 USD to GBP"),
        ("What is the capital of Japan?", "日本の首都はどこですか?"),
        ("What is 5 to the power of 3?", "What is 3 to the power of 5?"),
        ("What is 9 minus 4?", "What is 9 plus 4?"),
        ("What should I eat before a run?", "What should I eat after a run?"),
        ("How do I upload a file to S3?", "How do I download a file from S3?"),
        ("How do I convert a string to an integer?", "How do I convert an integer to a string?"),
    ],
)
def test_near_misses_disagree(a: str, b: str) -> None:
    assert not facts_agree(a, b)


def test_one_word_swap_in_the_same_frame_needs_a_very_close_vector() -> None:
    a, b = "What is the chemical symbol for gold?", "What is the chemical symbol for silver?"
    assert not facts_agree(a, b, similarity=0.84)
    synonyms = ("How do I merge two dictionaries?", "How do I combine two dictionaries?")
    assert facts_agree(*synonyms, similarity=SUBSTITUTION_MIN_SIMILARITY + 0.01)
    assert not facts_agree(*synonyms, similarity=SUBSTITUTION_MIN_SIMILARITY - 0.01)


def test_number_words_count_as_numbers() -> None:
    assert facts_agree("Give me three tips", "Give me 3 tips")
    assert not facts_agree("Give me three tips", "Give me 4 tips")
