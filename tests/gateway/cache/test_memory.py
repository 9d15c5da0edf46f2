"""The in-process LRU: bounded by entries and bytes, entries expire."""

from __future__ import annotations

from gateway.cache.memory import MemoryStore


class _Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_least_recently_used_entry_goes_first_when_full() -> None:
    store = MemoryStore(max_entries=2)
    await store.set("a", b"1", 60)
    await store.set("b", b"2", 60)
    assert await store.get("a") == b"1"  # a is now the most recent
    await store.set("c", b"3", 60)
    assert await store.get("b") is None
    assert await store.get("a") == b"1"
    assert await store.get("c") == b"3"


async def test_byte_bound_evicts_until_the_new_value_fits() -> None:
    store = MemoryStore(max_entries=100, max_bytes=10)
    await store.set("a", b"12345", 60)
    await store.set("b", b"12345", 60)
    await store.set("c", b"123", 60)
    assert await store.get("a") is None
    assert store.size_bytes == 8
    await store.set("huge", b"x" * 11, 60)
    assert await store.get("huge") is None


async def test_entries_expire_after_their_ttl() -> None:
    clock = _Clock()
    store = MemoryStore(clock=clock)
    await store.set("a", b"1", 5)
    clock.now += 4.9
    assert await store.get("a") == b"1"
    clock.now += 0.2
    assert await store.get("a") is None
    assert len(store) == 0 and store.size_bytes == 0


async def test_overwriting_a_key_keeps_the_byte_count_exact() -> None:
    store = MemoryStore()
    await store.set("a", b"123", 60)
    await store.set("a", b"12", 60)
    assert store.size_bytes == 2 and len(store) == 1
