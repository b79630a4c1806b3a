"""Widgets of the terminal UI, one per file with its DEFAULT_CSS beside it."""
