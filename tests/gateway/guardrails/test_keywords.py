"""Keyword lists: word boundaries, case, Vietnamese with and without tone marks, severity, files."""

from __future__ import annotations

from pathlib import Path

import pytest

from compiler.specs import CheckSpec, Source
from gateway.guardrails import GuardrailEngine
from gateway.guardrails.keywords import KeywordList, KeywordMatcher, load_list_file
from gateway.ports import CheckContext
from tests.gateway.guardrails.build import chat, check_one, guardrail

VIOLENCE = KeywordList("violence", "high", ("giết người", "bom", "kill"))


def matched(matcher: KeywordMatcher, text: str) -> list[str]:
    return [text[s:e] for s, e, _ in matcher.finditer(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Tôi muốn giết người", ["giết người"]),
        ("toi muon GIET NGUOI", ["GIET NGUOI"]),  # no tone marks, other case
        ("tôi muốn giet  người", ["giet  người"]),  # mixed, double space
        ("quả bom nổ", ["bom"]),
        ("KILL it", ["KILL"]),
    ],
)
def test_vietnamese_matches_with_or_without_tone_marks(text: str, expected: list[str]) -> None:
    assert matched(KeywordMatcher([VIOLENCE]), text) == expected


@pytest.mark.parametrize("text", ["bomb squad", "skill", "killer", "bơm nước"])
def test_only_whole_words_match(text: str) -> None:
    # "bơm" folds to "bom": diacritics-insensitive matching is on by default, so it does match
    found = matched(KeywordMatcher([VIOLENCE]), text)
    assert found == (["bơm"] if text.startswith("bơm") else [])


def test_match_diacritics_keeps_tone_marks_apart() -> None:
    matcher = KeywordMatcher([VIOLENCE], match_diacritics=True)
    assert matched(matcher, "bơm nước") == []
    assert matched(matcher, "quả bom") == ["bom"]


def test_decomposed_unicode_input_matches_like_composed() -> None:
    import unicodedata

    from gateway.guardrails.text import text_slots

    nfd = unicodedata.normalize("NFD", "Tôi muốn giết người")
    slot = text_slots(chat(nfd), "input")[0]
    assert matched(KeywordMatcher([VIOLENCE]), slot.text) == ["giết người"]


def test_case_sensitive_lists_ignore_other_cases() -> None:
    matcher = KeywordMatcher([KeywordList("brand", "low", ("ACME",))], case_sensitive=True)
    assert matched(matcher, "acme and ACME") == ["ACME"]


def test_longer_phrase_of_another_list_wins_over_prefix() -> None:
    matcher = KeywordMatcher([VIOLENCE, KeywordList("slang", "low", ("killer app",))])
    assert [kl.name for _, _, kl in matcher.finditer("a killer app")] == ["slang"]


async def test_lists_below_min_severity_are_counted_but_pass() -> None:
    params = {
        "lists": [{"name": "mild", "severity": "low", "words": ["damn"]}],
        "min_severity": "high",
    }
    assert await check_one("keywords", params, "damn it", phase="input") is True
    params["min_severity"] = "low"
    assert await check_one("keywords", params, "damn it", phase="input") is False


async def test_list_file_is_read_beside_the_manifest(tmp_path: Path) -> None:
    (tmp_path / "guardrails" / "lists").mkdir(parents=True)
    (tmp_path / "guardrails" / "lists" / "vi.txt").write_text("# từ cấm\nma túy\n\nđánh bạc\n", "utf-8")
    spec = guardrail(
        "kw", ("keywords", {"lists": [{"name": "vi", "severity": "high", "file": "lists/vi.txt"}]})
    )
    engine = GuardrailEngine((spec,), config_root=tmp_path)
    outcome = await engine.check_input(("kw",), chat("mua MA TUY o dau"), CheckContext())
    assert outcome.verdict == "deny"
    assert outcome.hook_results[0]["checks"][0]["data"] == {
        "matches": [{"list": "vi", "severity": "high", "count": 1}]
    }


def test_missing_list_file_names_the_manifest(tmp_path: Path) -> None:
    spec = guardrail("kw", ("keywords", {"lists": [{"name": "x", "file": "nope.txt"}]}))
    with pytest.raises(ValueError, match=r"guardrails/test.yaml:1:1: check `keywords`"):
        GuardrailEngine((spec,), config_root=tmp_path)


def test_list_file_skips_comments_and_blank_lines(tmp_path: Path) -> None:
    path = tmp_path / "l.txt"
    path.write_text("# header\n a \n\n#x\nb c\n", "utf-8")
    assert load_list_file(path) == ("a", "b c")


def test_header_configs_cannot_name_files() -> None:
    header = Source(file="<x-portkey-config>", pointer="/input_guardrails/0")
    check = CheckSpec(type="keywords", params='{"lists":[{"file":"/etc/passwd","name":"x"}]}', source=header)
    spec = guardrail("kw").__class__(id="kw", checks=(check,), source=header)
    with pytest.raises(ValueError, match="names a file"):
        GuardrailEngine((spec,), config_root=Path("/"))


def test_list_file_must_stay_inside_the_config_root(tmp_path: Path) -> None:
    root = tmp_path / "configs"
    (root / "guardrails").mkdir(parents=True)
    (tmp_path / "outside.txt").write_text("x\n", "utf-8")
    spec = guardrail("kw", ("keywords", {"lists": [{"name": "x", "file": "../../outside.txt"}]}))
    with pytest.raises(ValueError, match="inside the config root"):
        GuardrailEngine((spec,), config_root=root)
