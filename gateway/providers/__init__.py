"""Provider adapters: one package per provider; OpenAI-compatible vendors are data."""
