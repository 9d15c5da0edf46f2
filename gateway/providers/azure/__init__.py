"""Azure OpenAI adapter: OpenAI's wire format behind deployment URLs, `api-version` and `api-key`."""
