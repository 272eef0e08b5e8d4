"""Refund Analytics arithmetic: groups, rates, percentiles, over plain data (no frappe).

A request counts once it has left Draft. Per group:
- count: requests in the group (a request with items in two groups counts in both);
- refunded amount: company currency, requests Refunded or Credited only (a cancelled refund gave
  nothing back). Grouped by item or item group, a request's amount is shared among its lines pro
  rata to each line's value (amount + tax), so the groups add up to the requests' total;
- share of sales: refunded amount / sales of the same group and period (the report says which sales);
- approval rate: approved / decided, decided = approved + rejected (pending requests wait);
  approved = reached the approved state (a later cancellation does not undo the decision);
- hours from request to approval and to refund: mean and 90th percentile over the requests that
  got there (percentile with linear interpolation between ranks, as PERCENTILE.INC or numpy);
- average rating: stars 1-5 over the rated requests (Frappe stores a rating as a fraction 0..1, 0 = none).
The total row counts each request once, weighted by the part of it the groups show.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

APPROVED = "Approved"
REJECTED = "Rejected"
PENDING = "Pending"

REFUNDED_STATUSES = ("Refunded", "Credited")
MAX_STARS = 5


@dataclass(frozen=True)
class RequestFacts:
	"""One request as the report reads it."""

	name: str
	outcome: str  # APPROVED, REJECTED or PENDING
	refunded_amount: float  # company currency; 0 unless Refunded or Credited
	hours_to_approve: float | None = None
	hours_to_refund: float | None = None
	stars: float | None = None


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


@dataclass
class _Accumulator:
	requests: dict[str, tuple[RequestFacts, float]] = field(default_factory=dict)

	def add(self, facts: RequestFacts, weight: float):
		_previous, before = self.requests.get(facts.name, (facts, 0.0))
		self.requests[facts.name] = (facts, before + weight)


# ------------------------------------------------------------------ one request


def outcome(status: str, approved: bool) -> str:
	if approved:
		return APPROVED
	return REJECTED if status == REJECTED else PENDING


def refunded_amount(status: str, amount: float) -> float:
	return amount if status in REFUNDED_STATUSES else 0.0


def hours_between(start: datetime | None, end: datetime | None) -> float | None:
	if not start or not end:
		return None
	return max((end - start).total_seconds(), 0.0) / 3600


def stars(rating: float | None) -> float | None:
	"""Frappe's Rating fraction (0..1) as stars (0..5); 0 or empty: not rated."""
	if not rating:
		return None
	return round(min(max(rating, 0.0), 1.0) * MAX_STARS, 2)


def month_key(day: date) -> str:
	return f"{day.year:04d}-{day.month:02d}"


def line_shares(lines: Iterable[tuple[str, float]]) -> dict[str, float]:
	"""A request's lines (group, value) -> each group's share of the request (summing to 1).

	Shares are pro rata to the values; when they are all zero (or negative), each line weighs the same.
	"""
	lines = list(lines)
	if not lines:
		return {}
	total = sum(max(value, 0.0) for _key, value in lines)
	shares: dict[str, float] = {}
	for key, value in lines:
		weight = max(value, 0.0) / total if total > 0 else 1 / len(lines)
		shares[key] = shares.get(key, 0.0) + weight
	return shares


# ------------------------------------------------------------------ statistics


def mean(values: list[float]) -> float | None:
	return sum(values) / len(values) if values else None


def percentile(values: Iterable[float], q: float) -> float | None:
	"""The q-th percentile (0..100), linear interpolation between closest ranks."""
	if not 0 <= q <= 100:
		raise ValueError("q must be between 0 and 100")
	ordered = sorted(values)
	if not ordered:
		return None
	position = (len(ordered) - 1) * q / 100
	low, high = math.floor(position), math.ceil(position)
	return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rate(part: float, whole: float) -> float | None:
	return part / whole if whole else None


# ------------------------------------------------------------------ groups


def summarize(
	entries: Iterable[tuple[RequestFacts, Mapping[str, float]]],
	sales_by_group: Mapping[str, float] | None,
	sales_total: float,
	precision: int = 2,
) -> tuple[list[GroupFigures], GroupFigures]:
	"""Figures per group, and the total row.

	`entries`: each request with its groups and the share of it each group holds (1.0 when a
	request belongs to one group). A group missing from `sales_by_group` had no sales; without
	`sales_by_group` (sales cannot be grouped so, e.g. by refund reason) every group is compared
	with all sales, `sales_total`.
	"""
	groups: dict[str, _Accumulator] = {}
	total = _Accumulator()
	for facts, shares in entries:
		for key, weight in shares.items():
			groups.setdefault(key, _Accumulator()).add(facts, weight)
			total.add(facts, weight)
	rows = [
		figures(key, acc, sales_total if sales_by_group is None else sales_by_group.get(key, 0.0), precision)
		for key, acc in groups.items()
	]
	return rows, figures("", total, sales_total, precision)


def figures(group: str, acc: _Accumulator, sales: float, precision: int = 2) -> GroupFigures:
	requests = list(acc.requests.values())
	refunded = round(sum(facts.refunded_amount * weight for facts, weight in requests), precision)
	approved = sum(1 for facts, _w in requests if facts.outcome == APPROVED)
	rejected = sum(1 for facts, _w in requests if facts.outcome == REJECTED)
	to_approve = [f.hours_to_approve for f, _w in requests if f.hours_to_approve is not None]
	to_refund = [f.hours_to_refund for f, _w in requests if f.hours_to_refund is not None]
	rated = [f.stars for f, _w in requests if f.stars is not None]
	return GroupFigures(
		group=group,
		count=len(requests),
		refunded_amount=refunded,
		sales=round(sales, precision),
		share_of_sales=rate(refunded, round(sales, precision)),
		approved=approved,
		rejected=rejected,
		approval_rate=rate(approved, approved + rejected),
		avg_hours_to_approve=mean(to_approve),
		p90_hours_to_approve=percentile(to_approve, 90),
		avg_hours_to_refund=mean(to_refund),
		p90_hours_to_refund=percentile(to_refund, 90),
		avg_stars=mean(rated),
		rated=len(rated),
	)


def ordered(rows: list[GroupFigures], chronological: bool = False) -> list[GroupFigures]:
	"""Months in order; other groups by refunded amount, then count, largest first."""
	if chronological:
		return sorted(rows, key=lambda r: r.group)
	return sorted(rows, key=lambda r: (-r.refunded_amount, -r.count, r.group))
