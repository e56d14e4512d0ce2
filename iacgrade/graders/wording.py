"""Counts in finding text: '1 place', '2 places', never '1 place(s)'."""

from __future__ import annotations


def plural(count: int, word: str, many: str = "") -> str:
    """The word as the count needs it: 'place' or `many` (default: word + 's')."""
    return word if count == 1 else (many or word + "s")


def counted(count: int, word: str, many: str = "") -> str:
    """'1 place', '3 places'."""
    return f"{count} {plural(count, word, many)}"
