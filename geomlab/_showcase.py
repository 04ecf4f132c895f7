"""Words the report and the explorer show by default (one list for both)."""

from __future__ import annotations

__all__ = ["CAPITALS"]

#: twenty capitals: the candidates of the report's softmax sections and the explorer's dial
CAPITALS = (
    "paris",
    "london",
    "berlin",
    "rome",
    "madrid",
    "tokyo",
    "moscow",
    "beijing",
    "washington",
    "ottawa",
    "canberra",
    "cairo",
    "athens",
    "vienna",
    "lisbon",
    "brussels",
    "amsterdam",
    "stockholm",
    "dublin",
    "warsaw",
)
