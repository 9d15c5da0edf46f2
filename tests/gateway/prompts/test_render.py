"""Rendering in the sandbox: values stay text, Python is out of reach, work is bounded, failures are 400s."""

from __future__ import annotations

import pytest

from gateway.errors import GatewayError, NotFound, RequestError
from gateway.runtime.prompts import PromptBook, PromptCatalog
from tests.gateway.prompts.samples import compiled, prompt

ONE = '  - role: user\n    content: "{{ text }}"\n'


def _error(book: PromptBook, variables: object, prompt_id: str = "p") -> GatewayError:
    with pytest.raises(GatewayError) as caught:
        book.render(prompt_id, variables)
    return caught.value


def test_variable_values_are_inserted_verbatim_and_never_evaluated() -> None:
    book = PromptBook(compiled(prompt(ONE)))
    for text in ("{{ 7 * 7 }}", "{% include 'x.j2' %}", "{{ self.__class__ }}", "{# c #}", "<b>&</b>"):
        assert book.render("p", {"text": text}).messages == [{"role": "user", "content": text}]


def test_defaults_fill_missing_optional_variables_and_params_come_first() -> None:
    manifest = prompt(
        '  - role: system\n    content: "{{ tone }}/{{ n }}"\n' + ONE,
        "  text: {type: string}\n  tone: {type: string, default: calm}\n  n: {type: integer, default: 2}\n",
    ).replace("route: chat\n", "route: chat\nparams: {model: m, temperature: 0.1}\n")
    rendered = PromptBook(compiled(manifest)).render("p", {"text": "hi"})
    assert rendered.messages[0]["content"] == "calm/2"
    body = rendered.chat_body({"temperature": 0.9}, stream=True)
    assert body == {"model": "m", "temperature": 0.9, "messages": rendered.messages, "stream": True}


@pytest.mark.parametrize(
    ("variables", "param", "code"),
    [
        ({}, "variables.text", "missing_required_parameter"),
        ({"text": 1}, "variables.text", "invalid_variable"),
        ({"text": None}, "variables.text", "invalid_variable"),
        ({"text": "x", "other": 1}, "variables.other", "unknown_variable"),
        ([], "variables", "invalid_type"),
    ],
)
def test_bad_variables_are_400s_naming_the_variable(variables: object, param: str, code: str) -> None:
    error = _error(PromptBook(compiled(prompt(ONE))), variables)
    assert isinstance(error, RequestError)
    assert (error.status, error.param, error.code) == (400, param, code)


def test_an_unknown_prompt_is_a_404_listing_the_known_ones() -> None:
    error = _error(PromptBook(compiled(prompt(ONE))), {}, prompt_id="q")
    assert isinstance(error, NotFound) and "`p`" in error.message


@pytest.mark.parametrize("key", ["__class__", "__globals__", "__init__", "mro", "__subclasses__"])
def test_a_dynamic_reach_into_python_is_refused_without_details(key: str) -> None:
    manifest = prompt(
        '  - role: user\n    content: "{{ obj[obj.k] }}{{ text[obj.k] }}"\n',
        "  obj: {type: object}\n  text: {type: string}\n",
    )
    error = _error(PromptBook(compiled(manifest)), {"obj": {"k": key}, "text": "s"})
    assert error.status == 400
    assert "object" not in error.message and "0x" not in error.message and "dict" not in error.message


def test_mutating_a_variable_is_refused() -> None:
    manifest = prompt(
        '  - role: user\n    content: "{{ items.append(1) }}{{ items }}"\n', "  items: {type: array}\n"
    )
    error = _error(PromptBook(compiled(manifest)), {"items": []})
    assert error.status == 400 and error.code == "prompt_unsafe"


def test_an_undefined_attribute_is_a_400_and_nothing_partial_is_returned() -> None:
    manifest = prompt(
        '  - role: system\n    content: "fine"\n  - role: user\n    content: "{{ user.name }}"\n',
        "  user: {type: object}\n",
    )
    error = _error(PromptBook(compiled(manifest)), {"user": {"nom": "x"}})
    assert (error.status, error.code) == (400, "prompt_render_failed")


def test_output_size_is_bounded_before_the_text_is_built() -> None:
    manifest = prompt(
        '  - role: user\n    content: "{{ text * n }}"\n', "  text: {type: string}\n  n: {type: integer}\n"
    )
    book = PromptBook(compiled(manifest), max_chars=1000)
    assert book.render("p", {"text": "ab", "n": 10}).messages[0]["content"] == "ab" * 10
    error = _error(book, {"text": "ab", "n": 10**12})
    assert (error.status, error.code) == (400, "prompt_render_limit")


def test_output_produced_by_loops_is_bounded() -> None:
    manifest = prompt(
        '  - role: user\n    content: "{% for a in xs %}{% for b in xs %}{{ a }}{{ b }}'
        '{% endfor %}{% endfor %}"\n',
        "  xs: {type: array}\n",
    )
    book = PromptBook(compiled(manifest), max_chars=10_000)
    error = _error(book, {"xs": list(range(1000))})
    assert error.code == "prompt_render_limit"


def test_rendering_time_is_bounded_even_without_output() -> None:
    manifest = prompt(
        '  - role: user\n    content: "{% for a in xs %}{% for b in xs %}{% endfor %}{% endfor %}done"\n',
        "  xs: {type: array}\n",
    )
    book = PromptBook(compiled(manifest), timeout_s=0.0)
    error = _error(book, {"xs": list(range(300))})
    assert error.code == "prompt_render_limit" and "too long" in error.message


def test_partials_render_with_the_prompts_variables() -> None:
    manifest = prompt('  - role: system\n    content: |\n      {% include "partials/head.j2" %}\n      end\n')
    gateway = compiled(manifest, **{"head.j2": "Head for {{ text }}.\n"})
    assert PromptBook(gateway).render("p", {"text": "T"}).messages[0]["content"] == "Head for T.\nend"


def test_the_catalog_keeps_one_book_per_config_version() -> None:
    first, second = compiled(prompt(ONE)), compiled(prompt(ONE.replace("text }}", "text }}!")))
    catalog = PromptCatalog()
    assert catalog.book(first) is catalog.book(first)
    assert catalog.book(second) is not catalog.book(first)
    assert catalog.book(second).render("p", {"text": "a"}).messages[0]["content"] == "a!"
