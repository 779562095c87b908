"""Vocabulary tools: build a Hangul-safe WordPiece vocabulary; put domain words into [unused] slots."""
