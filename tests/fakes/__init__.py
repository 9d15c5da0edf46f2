"""Fake provider APIs on loopback, faithful to each provider's wire format."""
