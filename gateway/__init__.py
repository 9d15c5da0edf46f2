"""gw runtime: the OpenAI-compatible gateway built from compiled Specs."""
