"""`gw diff` on prompts: added, removed (risky) and changed, the change shown as a unified diff."""

from __future__ import annotations

from compiler.diff import diff_gateways, render
from compiler.diff.prompts import prompt_text_diff
from tests.gateway.prompts.samples import compiled, prompt

ONE = '  - role: user\n    content: "Hello {{ text }}"\n'


def test_a_changed_message_is_shown_as_a_unified_diff() -> None:
    old = compiled(prompt(ONE))
    new = compiled(prompt(ONE.replace("Hello", "Hi")).replace("version: v1", "version: v2"))
    lines = prompt_text_diff(old.prompts[0], new.prompts[0])
    assert "-version: v1" in lines and "+version: v2" in lines
    assert "-Hello {{ text }}" in lines and "+Hi {{ text }}" in lines
    (change,) = diff_gateways(old, new).changes
    assert change.kind == "prompt_changed" and change.subject == "prompt p" and not change.risky
    assert "version v1 → v2" in change.message
    assert "+Hi {{ text }}" in render(diff_gateways(old, new), "text")


def test_a_changed_partial_is_part_of_the_diff() -> None:
    manifest = prompt("  - role: user\n    content: \"{{ text }}{% include 'partials/t.j2' %}\"\n")
    old, new = compiled(manifest, **{"t.j2": "calm"}), compiled(manifest, **{"t.j2": "terse"})
    lines = prompt_text_diff(old.prompts[0], new.prompts[0])
    assert "-calm" in lines and "+terse" in lines


def test_removing_a_prompt_is_risky_and_adding_one_is_not() -> None:
    with_prompt = compiled(prompt(ONE))
    without = compiled(prompt(ONE).replace("id: p", "id: q"))
    kinds = {(c.kind, c.subject, c.risky) for c in diff_gateways(with_prompt, without).changes}
    assert kinds == {("prompt_removed", "prompt p", True), ("prompt_added", "prompt q", False)}


def test_an_identical_prompt_has_no_diff() -> None:
    gateway = compiled(prompt(ONE))
    assert prompt_text_diff(gateway.prompts[0], gateway.prompts[0]) == ()
