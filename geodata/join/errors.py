"""The one error the file join raises for bad input or options, and how exceptions are shown on one line."""

from __future__ import annotations


class JoinInputError(ValueError):
    """The input or the options cannot be joined; the message names the file and the problem."""


def first_line(exc: BaseException) -> str:
    """An exception's message, on one line."""
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0]
