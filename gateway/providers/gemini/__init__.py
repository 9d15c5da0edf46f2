"""Google Gemini API adapter (`generateContent`, `streamGenerateContent`, `batchEmbedContents`)."""
