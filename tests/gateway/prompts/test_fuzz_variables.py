"""Random variables never crash a render: a rendered prompt or a 4xx, never another exception."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway.errors import GatewayError
from gateway.runtime.prompts import PromptBook
from tests.gateway.prompts.samples import compiled, prompt

_MANIFEST = prompt(
    "  - role: system\n    content: |\n"
    "      {% for o in orders %}[{{ o }}]{% endfor %} {{ user.name if user.name is defined else '-' }}\n"
    '  - role: user\n    content: "{{ text }} {{ n * 2 }} {{ text | upper }} {{ orders | length }}"\n',
    "  text: {type: string}\n  n: {type: integer, default: 1}\n"
    "  orders: {type: array, default: []}\n  user: {type: object, default: {}}\n",
)
_BOOK = PromptBook(compiled(_MANIFEST))
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    variables=st.one_of(
        _json,
        st.fixed_dictionaries(
            {"text": _json}, optional={"n": _json, "orders": _json, "user": _json, "__class__": _json}
        ),
    )
)
def test_random_variables_render_or_give_a_client_error(variables: Any) -> None:  # Any: JSON
    try:
        rendered = _BOOK.render("p", variables)
    except GatewayError as exc:
        assert 400 <= exc.status < 500
        assert "Traceback" not in exc.message and "0x" not in exc.message
        return
    assert [m["role"] for m in rendered.messages] == ["system", "user"]
