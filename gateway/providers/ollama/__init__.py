"""Ollama native API adapter (`/api/chat` with NDJSON streaming, `/api/embed`); no key needed."""
