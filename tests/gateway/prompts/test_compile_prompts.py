"""Prompt manifests through the compiler: partials read from disk, positions, hashes, loop scopes."""

from __future__ import annotations

from pathlib import Path

from compiler import compile_paths, compile_sources
from tests.gateway.prompts.samples import BASE, compiled, prompt


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, "utf-8")


def test_partials_beside_the_manifest_are_read_from_disk(tmp_path: Path) -> None:
    manifest = prompt('  - role: system\n    content: |\n      {% include "partials/a.j2" %}\n')
    _write(tmp_path, {"base.yaml": BASE, "p/prompt.yaml": manifest, "p/partials/a.j2": "A {{ text }}\n"})
    result = compile_paths([tmp_path])
    assert result.ok and result.gateway is not None
    assert result.gateway.prompts[0].partials == (("partials/a.j2", "A {{ text }}\n"),)


def test_an_error_in_a_block_template_points_at_its_manifest_line() -> None:
    manifest = prompt("  - role: system\n    content: |\n      line one\n      {{ text }} {{ nope }}\n")
    diags = compile_sources({"base.yaml": BASE, "prompt.yaml": manifest}).diagnostics
    assert [(d.code, d.line, d.col) for d in diags] == [("GW-E0702", 11, 21)]
    assert manifest.splitlines()[10][20:24] == "nope"


def test_an_error_in_a_partial_points_at_the_partial_file() -> None:
    manifest = prompt("  - role: user\n    content: \"{{ text }}{% include 'partials/b.j2' %}\"\n")
    files = {"base.yaml": BASE, "prompt.yaml": manifest, "partials/b.j2": "ok\n{% if %}\n"}
    diags = compile_sources(files).diagnostics
    assert [(d.code, d.file, d.line) for d in diags] == [("GW-E0701", "partials/b.j2", 2)]


def test_loop_variables_of_the_includer_are_visible_in_a_partial() -> None:
    manifest = prompt(
        '  - role: user\n    content: "{% for item in items %}'
        "{% include 'partials/row.j2' %}{% endfor %}\"\n",
        "  items: {type: array}\n",
    )
    gateway = compiled(manifest, **{"row.j2": "- {{ item }}\n"})
    assert gateway.prompts[0].id == "p"


def test_changing_a_partial_changes_the_content_hash_and_moving_lines_does_not() -> None:
    manifest = prompt("  - role: user\n    content: \"{{ text }}{% include 'partials/c.j2' %}\"\n")
    one = compiled(manifest, **{"c.j2": "one"})
    two = compiled(manifest, **{"c.j2": "two"})
    moved = compiled("# a comment\n\n" + manifest, **{"c.j2": "one"})
    assert one.content_hash != two.content_hash
    assert one.content_hash == moved.content_hash


def test_a_prompt_with_a_private_reach_does_not_compile() -> None:
    manifest = prompt('  - role: user\n    content: "{{ text.__class__.__base__ }}{{ self }}"\n')
    result = compile_sources({"base.yaml": BASE, "prompt.yaml": manifest})
    assert result.gateway is None
    assert {d.code for d in result.diagnostics} == {"GW-E0705"}


def test_filters_cannot_name_private_attributes_or_be_outside_the_offered_set() -> None:
    manifest = prompt(
        '  - role: user\n    content: "{{ text | format(1) }}'
        "{{ [text] | map(attribute='__class__') | list }}\"\n"
    )
    result = compile_sources({"base.yaml": BASE, "prompt.yaml": manifest})
    messages = sorted(d.message for d in result.diagnostics)
    assert messages == [
        "filter `format` is not available in prompts",
        "filter argument `__class__` names a private attribute",
    ]


def test_an_unknown_test_is_a_compile_error_not_a_crash() -> None:
    manifest = prompt('  - role: user\n    content: "{{ text is shiny }}"\n')
    result = compile_sources({"base.yaml": BASE, "prompt.yaml": manifest})
    assert [(d.code, d.message) for d in result.diagnostics] == [
        ("GW-E0701", "template does not compile: no test named 'shiny'")
    ]


def test_a_variable_schema_whose_ref_resolves_nowhere_is_refused() -> None:
    manifest = prompt(
        '  - role: user\n    content: "{{ text }}"\n', '  text: {$ref: "http://127.0.0.1:9/s"}\n'
    )
    result = compile_sources({"base.yaml": BASE, "prompt.yaml": manifest})
    assert [d.code for d in result.diagnostics] == ["GW-E0706"]
