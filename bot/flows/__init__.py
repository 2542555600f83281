"""Telegram conversations, one module per flow; they call the cores and the store only."""
