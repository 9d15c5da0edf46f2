"""Anthropic Messages API adapter, and the translation behind gw's Anthropic-compatible front door."""
