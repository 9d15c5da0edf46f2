"""Random template text in a prompt manifest gives diagnostics, never an exception from the compiler."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from compiler import compile_sources
from tests.gateway.prompts.samples import BASE, prompt

_PIECES = [
    "{{",
    "}}",
    "{%",
    "%}",
    "{#",
    "#}",
    " ",
    "text",
    "self",
    "__class__",
    ".",
    "[",
    "]",
    "(",
    ")",
    "|",
    "upper",
    "format",
    "attr",
    "is",
    "defined",
    "shiny",
    "for",
    "in",
    "endfor",
    "if",
    "endif",
    "set",
    "=",
    "include",
    "import",
    "'partials/a.j2'",
    "'x'",
    "macro",
    "endmacro",
    "call",
    "endcall",
    "loop",
    "range",
    "~",
    "*",
    "**",
    "1",
    "\n",
    "raw",
    "endraw",
    "block",
    "endblock",
    "extends",
    "with",
    "filter",
]


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pieces=st.lists(st.sampled_from(_PIECES), max_size=24))
def test_random_templates_give_diagnostics_not_exceptions(pieces: list[str]) -> None:
    content = json.dumps("".join(pieces))
    manifest = prompt(f"  - role: user\n    content: {content}\n")
    result = compile_sources({"base.yaml": BASE, "prompt.yaml": manifest, "partials/a.j2": "{{ text }}"})
    for diag in result.diagnostics:
        assert diag.code.startswith(("GW-E07", "GW-W07")), diag
        assert diag.line > 0 and diag.col > 0, diag
