"""Cache settings come from the environment, with safe defaults."""

from __future__ import annotations

from gateway.cache import CacheSettings


def test_defaults_keep_everything_in_process_and_local() -> None:
    settings = CacheSettings.from_env({})
    assert settings.valkey_url is None
    assert settings.semantic_uri == "./var/semantic-cache"


def test_environment_selects_valkey_lancedb_location_and_bounds() -> None:
    settings = CacheSettings.from_env(
        {
            "GW_VALKEY_URL": "redis://127.0.0.1:6390/0",
            "GW_SEMANTIC_CACHE_URI": "s3://bucket/semantic",
            "GW_MODEL_DIR": "/opt/gw/model",
            "GW_CACHE_MAX_ENTRIES": "50",
            "GW_CACHE_MAX_BYTES": "1024",
        }
    )
    assert settings.valkey_url == "redis://127.0.0.1:6390/0"
    assert settings.semantic_uri == "s3://bucket/semantic"
    assert settings.model_dir == "/opt/gw/model"
    assert (settings.max_entries, settings.max_bytes) == (50, 1024)
