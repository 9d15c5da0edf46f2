"""The cache partition: one tenant per key (or per tag set), namespaces inside it, never ambiguous."""

from __future__ import annotations

import pytest

from gateway.ports import VirtualKey
from gateway.runtime.context import RequestContext
from gateway.runtime.headers import parse_headers
from gateway.runtime.stages import cache_partition


def _ctx(key: VirtualKey | None = None, namespace: str | None = None) -> RequestContext:
    headers = {} if namespace is None else {"x-portkey-cache-namespace": namespace}
    ctx = RequestContext(headers=parse_headers(headers))
    ctx.key = key
    return ctx


A = VirtualKey(id="key_a", tags=("team-x",))
B = VirtualKey(id="key_b", tags=("team-x",))
UNTAGGED = VirtualKey(id="key_c")


def test_each_key_is_its_own_tenant_by_default() -> None:
    assert cache_partition("key", _ctx(A)) != cache_partition("key", _ctx(B))
    assert cache_partition("key", _ctx(A)) == cache_partition("key", _ctx(A))


def test_key_tag_policy_shares_between_keys_with_the_same_tags_only() -> None:
    assert cache_partition("key_tag", _ctx(A)) == cache_partition("key_tag", _ctx(B))
    assert cache_partition("key_tag", _ctx(UNTAGGED)) != cache_partition("key_tag", _ctx())
    other = VirtualKey(id="key_d", tags=("team-y",))
    assert cache_partition("key_tag", _ctx(other)) != cache_partition("key_tag", _ctx(A))


def test_none_policy_shares_across_keys() -> None:
    assert (
        cache_partition("none", _ctx(A))
        == cache_partition("none", _ctx(B))
        == cache_partition("none", _ctx())
    )


@pytest.mark.parametrize("spoof", ["key_a", "key:key_a", '["key","key_a"]', '[["key","key_a"],""]', "key_a/"])
def test_no_namespace_spells_another_tenants_partition(spoof: str) -> None:
    victim = cache_partition("key", _ctx(A))
    assert cache_partition("key", _ctx(namespace=spoof)) != victim
    assert cache_partition("key", _ctx(UNTAGGED, namespace=spoof)) != victim


def test_namespace_partitions_inside_a_tenant() -> None:
    plain, one, two = (cache_partition("key", _ctx(A, ns)) for ns in (None, "one", "two"))
    assert len({plain, one, two}) == 3
