"""Refund Analytics arithmetic: rates, means and percentiles from what the database adds up (no frappe).

The report's queries count and sum per group (so that 100,000 requests never travel to Python);
this module turns those sums into the figures. A request counts once it has left Draft. Per group:
- count: requests in the group (grouped by item or item group, a request with lines in two groups
  counts in both);
- refunded amount: company currency, requests Refunded or Credited only (a cancelled refund gave
  nothing back). Grouped by item or item group, a request's amount is shared among its lines pro
  rata to each line's value (amount + tax), so the groups add up to the requests' total;
- share of sales: refunded amount / sales of the same group and period (the report says which sales);
- approval rate: approved / decided, decided = approved + rejected (pending requests wait);
  approved = reached the approved state (a later cancellation does not undo the decision);
- hours from request to approval and to refund: mean and 90th percentile (linear interpolation
  between ranks, as PERCENTILE.INC or numpy) over the requests that got there, their durations
  counted to the nearest HISTOGRAM_STEP_HOURS (6 minutes: the report shows one decimal);
- average rating: stars 1-5 over the rated requests (Frappe stores a rating as a fraction 0..1, 0 = none).
The total row counts each request once.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass, field

MAX_STARS = 5
HISTOGRAM_STEP_HOURS = 0.1
STEP_SECONDS = 3600 * HISTOGRAM_STEP_HOURS  # the report's queries count durations in these steps
P90 = 90


@dataclass
class GroupSums:
	"""What the database counts for one group."""

	group: str
	count: int = 0
	refunded_amount: float = 0.0
	approved: int = 0
	rejected: int = 0
	# (duration in steps of HISTOGRAM_STEP_HOURS, number of requests)
	approve_histogram: list[tuple[int, int]] = field(default_factory=list)
	refund_histogram: list[tuple[int, int]] = field(default_factory=list)
	ratings: list[tuple[float, int]] = field(default_factory=list)  # (Frappe rating 0..1, requests)


ADDITIVE = ("count", "refunded_amount", "approved", "rejected")


def fold(parts: Iterable[tuple[int | None, int | None, float | None, GroupSums]]) -> dict[str, GroupSums]:
	"""The database's counts per (group, approval step, refund step, rating) -> one GroupSums per group.

	Each part counts the requests of one group that share both durations (in steps; None: not
	approved, not refunded) and the rating (None or 0: not rated).
	"""
	groups: dict[str, GroupSums] = {}
	for approve_step, refund_step, rating, part in parts:
		group = groups.setdefault(part.group, GroupSums(part.group))
		for name in ADDITIVE:
			setattr(group, name, getattr(group, name) + getattr(part, name))
		if approve_step is not None:
			group.approve_histogram.append((approve_step, part.count))
		if refund_step is not None:
			group.refund_histogram.append((refund_step, part.count))
		if rating:
			group.ratings.append((rating, part.count))
	return groups


@dataclass
class GroupFigures:
	group: str
	count: int = 0
	refunded_amount: float = 0.0
	sales: float = 0.0
	share_of_sales: float | None = None  # a fraction; None without sales
	approved: int = 0
	rejected: int = 0
	approval_rate: float | None = None  # a fraction; None while nothing is decided
	avg_hours_to_approve: float | None = None
	p90_hours_to_approve: float | None = None
	avg_hours_to_refund: float | None = None
	p90_hours_to_refund: float | None = None
	avg_stars: float | None = None
	rated: int = 0


# ------------------------------------------------------------------ statistics


def percentile(values: Iterable[float], q: float) -> float | None:
	"""The q-th percentile (0..100), linear interpolation between closest ranks."""
	return weighted_percentile(((v, 1) for v in values), q)


def weighted_percentile(histogram: Iterable[tuple[float, int]], q: float) -> float | None:
	"""The q-th percentile of values given with how often each occurs, as if each were listed
	that many times (linear interpolation between closest ranks)."""
	if not 0 <= q <= 100:
		raise ValueError("q must be between 0 and 100")
	counted = sorted((value, count) for value, count in histogram if count > 0)
	total = sum(count for _value, count in counted)
	if not total:
		return None
	position = (total - 1) * q / 100
	low, high = math.floor(position), math.ceil(position)
	return value_at(counted, low) + (value_at(counted, high) - value_at(counted, low)) * (position - low)


def value_at(counted: list[tuple[float, int]], rank: int) -> float:
	"""The value at 0-based `rank` of the sorted histogram expanded."""
	seen = 0
	for value, count in counted:
		seen += count
		if rank < seen:
			return value
	return counted[-1][0]


def weighted_mean(histogram: Iterable[tuple[float, int]]) -> float | None:
	pairs = list(histogram)
	count = sum(n for _value, n in pairs)
	return sum(value * n for value, n in pairs) / count if count else None


def rate(part: float, whole: float) -> float | None:
	return part / whole if whole else None


def hours_histogram(steps: Iterable[tuple[int, int]]) -> list[tuple[float, int]]:
	return [(step * HISTOGRAM_STEP_HOURS, count) for step, count in steps]


def stars(ratings: Iterable[tuple[float, int]]) -> float | None:
	"""Average stars (0..5) of Frappe ratings (fractions 0..1) given with their number of requests."""
	average = weighted_mean(ratings)
	return None if average is None else round(min(max(average, 0.0), 1.0) * MAX_STARS, 2)


# ------------------------------------------------------------------ groups


def figures(sums: GroupSums, sales: float, precision: int = 2) -> GroupFigures:
	refunded = round(sums.refunded_amount, precision)
	sales = round(sales, precision)
	to_approve = hours_histogram(sums.approve_histogram)
	to_refund = hours_histogram(sums.refund_histogram)
	return GroupFigures(
		group=sums.group,
		count=sums.count,
		refunded_amount=refunded,
		sales=sales,
		share_of_sales=rate(refunded, sales),
		approved=sums.approved,
		rejected=sums.rejected,
		approval_rate=rate(sums.approved, sums.approved + sums.rejected),
		avg_hours_to_approve=weighted_mean(to_approve),
		p90_hours_to_approve=weighted_percentile(to_approve, P90),
		avg_hours_to_refund=weighted_mean(to_refund),
		p90_hours_to_refund=weighted_percentile(to_refund, P90),
		avg_stars=stars(sums.ratings),
		rated=sum(n for _rating, n in sums.ratings),
	)


def ordered(rows: list[GroupFigures], chronological: bool = False) -> list[GroupFigures]:
	"""Months in order; other groups by refunded amount, then count, largest first."""
	if chronological:
		return sorted(rows, key=lambda r: r.group)
	return sorted(rows, key=lambda r: (-r.refunded_amount, -r.count, r.group))
