"""The one error tree of geomlab.

Every error the library raises for bad input is a :class:`GeomlabError`, so a caller (and
the CLI) can catch them all in one place. Each also derives from the matching built-in
exception, so ``except KeyError`` or ``except ValueError`` keeps working.
"""

from __future__ import annotations

__all__ = [
    "GeomlabError",
    "UnknownWordError",
    "FormatError",
    "ParameterError",
    "ShapeError",
    "MissingDependencyError",
]


class GeomlabError(Exception):
    """Base class of every error geomlab raises on purpose."""


class UnknownWordError(GeomlabError, KeyError):
    """A word is not in the vocabulary.

    Attributes
    ----------
    word : str
        The word that was looked up.
    suggestions : tuple of str
        Close words from the vocabulary, most likely first (may be empty).
    """

    def __init__(self, word: str, suggestions: tuple[str, ...] = ()):
        self.word = word
        self.suggestions = tuple(suggestions)
        msg = f"{word!r} is not in the vocabulary."
        if self.suggestions:
            shown = ", ".join(repr(s) for s in self.suggestions[:3])
            msg += f" Did you mean {shown}?"
        super().__init__(msg)

    def __str__(self) -> str:  # KeyError would repr() the message
        return self.args[0]


class FormatError(GeomlabError, ValueError):
    """A malformed vector or dataset file; the message reads ``path:line: what``."""

    def __init__(self, message: str, path: object = None, line: int | None = None):
        self.path = None if path is None else str(path)
        self.line = line
        self.reason = message
        where = ""
        if self.path is not None:
            where = self.path + (f":{line}" if line is not None else "") + ": "
        super().__init__(where + message)


class ParameterError(GeomlabError, ValueError):
    """A bad argument: the message names the parameter, the rule and the value."""


class ShapeError(GeomlabError, ValueError):
    """Arrays whose shapes disagree; the message shows both shapes."""


class MissingDependencyError(GeomlabError, ImportError):
    """An optional dependency is missing; the message names the pip extra to install."""
