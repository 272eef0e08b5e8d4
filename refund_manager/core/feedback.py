"""The customer's rating of a refund (pure).

Stored in a Frappe "Rating" field, which holds a fraction from 0 to 1: stars = value * 5.
A customer rates once, 1 to 5 whole stars, with an optional comment, after the refund is paid.
"""

from refund_manager.core.problems import Problem
from refund_manager.core.selection import parse_qty

MAX_STARS = 5
MAX_COMMENT_LENGTH = 2000
RATEABLE_STATUS = "Refunded"


def to_fraction(stars: int) -> float:
	return stars / MAX_STARS


def to_stars(fraction: float | None) -> int:
	"""Whole stars of a stored rating (0 when there is none)."""
	return round((fraction or 0) * MAX_STARS)


def parse_stars(value) -> int | None:
	"""1..5 whole stars from the form, or None."""
	number = parse_qty(value)
	if number is None or number != int(number) or not 1 <= number <= MAX_STARS:
		return None
	return int(number)


def check(
	stars_input, comment: str | None, status: str, already_rated: bool
) -> tuple[int | None, list[Problem]]:
	"""The stars to store and every reason the feedback cannot be taken."""
	problems = []
	if status != RATEABLE_STATUS:
		problems.append(Problem("not_refunded", values={"status": status}))
	if already_rated:
		problems.append(Problem("already_rated"))
	stars = parse_stars(stars_input)
	if stars is None:
		problems.append(Problem("rating_invalid", values={"rating": stars_input}))
	if comment and len(comment) > MAX_COMMENT_LENGTH:
		problems.append(Problem("comment_too_long", values={"limit": MAX_COMMENT_LENGTH}))
	return stars, problems
