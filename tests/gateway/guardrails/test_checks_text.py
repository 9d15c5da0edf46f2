"""Portkey's default text checks: same ids, parameters and verdicts as plugins/default/*.ts."""

from __future__ import annotations

from typing import Any

import pytest

from tests.gateway.guardrails.build import check_one

CASES: list[tuple[str, dict[str, Any], str, bool]] = [
    # regexMatch: pass when the rule matches; `not` inverts; JS named groups accepted
    ("regexMatch", {"rule": r"\bORD-\d{6}\b"}, "your order ORD-123456 shipped", True),
    ("regexMatch", {"rule": r"\bORD-\d{6}\b"}, "your order ORD-1234567 shipped", False),
    ("regexMatch", {"rule": r"(?<id>\d{3})-x"}, "ref 123-x", True),
    ("regexMatch", {"rule": "password", "not": True}, "here is the password", False),
    ("regexMatch", {"rule": "password", "not": True}, "here is the passw0rd", True),
    # sentenceCount counts terminators
    ("sentenceCount", {"minSentences": 2, "maxSentences": 3}, "One. Two! Three?", True),
    ("sentenceCount", {"minSentences": 2, "maxSentences": 3}, "Only one sentence.", False),
    ("sentenceCount", {"minSentences": 2, "maxSentences": 3, "not": True}, "One.", True),
    # wordCount
    ("wordCount", {"minWords": 2, "maxWords": 4}, "three short words", True),
    ("wordCount", {"minWords": 2, "maxWords": 4}, "far  too\tmany words here now", False),
    ("wordCount", {"minWords": 2, "maxWords": 4}, "single", False),
    # characterCount counts code points, so Vietnamese letters count once
    ("characterCount", {"minCharacters": 1, "maxCharacters": 5}, "Việt", True),
    ("characterCount", {"minCharacters": 1, "maxCharacters": 3}, "Việt", False),
    # contains: substrings, case-sensitive, any/all/none
    ("contains", {"words": ["Apple", "pear"], "operator": "any"}, "an Apple a day", True),
    ("contains", {"words": ["Apple", "pear"], "operator": "all"}, "an Apple a day", False),
    ("contains", {"words": ["Apple"], "operator": "none"}, "an apple a day", True),
    ("contains", {"words": ["Apple"], "operator": "none"}, "Pineapple? no: Apple", False),
    # endsWith allows a trailing period
    ("endsWith", {"suffix": "Thanks"}, "Regards. Thanks.", True),
    ("endsWith", {"suffix": "Thanks"}, "Thanks, bye", False),
    ("endsWith", {"suffix": "Thanks", "not": True}, "Thanks, bye", True),
    # alluppercase / alllowercase
    ("alluppercase", {}, "HELLO, WORLD 42!", True),
    ("alluppercase", {}, "HELLO, World", False),
    ("alllowercase", {}, "xin chào thế giới", True),
    ("alllowercase", {}, "xin chào Thế giới", False),
    ("alllowercase", {"not": True}, "Xin chào", True),
    # containsCode reads fenced block labels; a bare mention is not code
    ("containsCode", {"format": "Python"}, "try:\n```py\nprint(1)\n```\n", True),
    ("containsCode", {"format": "Python"}, "```python\nx = 1\n```", True),
    ("containsCode", {"format": "SQL"}, "```python\nx = 1\n```", False),
    ("containsCode", {"format": "SQL"}, "use SELECT * FROM t in SQL", False),
    ("containsCode", {"format": "SQL", "not": True}, "no code here", True),
]


@pytest.mark.parametrize(("check", "params", "text", "passes"), CASES)
async def test_default_check_verdicts(check: str, params: dict[str, Any], text: str, passes: bool) -> None:
    assert await check_one(check, params, text) is passes


async def test_not_null_fails_on_null_and_blank_content() -> None:
    from gateway.guardrails import GuardrailEngine
    from gateway.ports import CheckContext
    from tests.gateway.guardrails.build import chat, completion, guardrail

    engine = GuardrailEngine((guardrail("g", ("notNull", {}), action="flag"),))
    for content, passes in ((None, False), ("   ", False), ("ok", True)):
        outcome = await engine.check_output(("g",), completion(content), chat("hi"), CheckContext())
        assert outcome.hook_results[0]["verdict"] is passes


async def test_input_checks_read_the_last_message_like_portkey() -> None:
    from gateway.guardrails import GuardrailEngine
    from gateway.ports import CheckContext
    from tests.gateway.guardrails.build import chat, guardrail

    engine = GuardrailEngine((guardrail("g", ("contains", {"words": ["secret"], "operator": "none"})),))
    early = await engine.check_input(("g",), chat("a secret", "nothing"), CheckContext())
    last = await engine.check_input(("g",), chat("nothing", "a secret"), CheckContext())
    assert (early.verdict, last.verdict) == ("pass", "deny")


async def test_content_parts_are_joined() -> None:
    from gateway.guardrails import GuardrailEngine
    from gateway.ports import CheckContext
    from tests.gateway.guardrails.build import guardrail

    body = {
        "messages": [
            {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "Apple"}]}
        ]
    }
    engine = GuardrailEngine((guardrail("g", ("contains", {"words": ["Apple"], "operator": "any"})),))
    assert (await engine.check_input(("g",), body, CheckContext())).verdict == "pass"


async def test_data_never_echoes_the_checked_text() -> None:
    from gateway.guardrails import GuardrailEngine
    from gateway.ports import CheckContext
    from tests.gateway.guardrails.build import chat, completion, guardrail

    engine = GuardrailEngine((guardrail("g", ("regexMatch", {"rule": "x", "not": True}), ("wordCount", {})),))
    outcome = await engine.check_output(("g",), completion("top secret x"), chat("hi"), CheckContext())
    assert "top secret" not in repr(outcome.hook_results)
