"""Refund Analytics arithmetic (refund_manager.core.analytics): folding the database's counts,
rates, means, percentiles, stars, ordering.

Plain Python, no site needed.
"""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refund_manager.core.analytics import (
	GroupSums,
	figures,
	fold,
	ordered,
	percentile,
	rate,
	stars,
	weighted_mean,
	weighted_percentile,
)


def test_percentile_interpolates_between_ranks():
	values = [float(v) for v in range(1, 11)]  # 1..10
	assert percentile(values, 90) == pytest.approx(9.1)
	assert percentile(values, 50) == pytest.approx(5.5)
	assert percentile(values, 0) == 1.0
	assert percentile(values, 100) == 10.0
	assert percentile([4.0, 1.0, 2.0], 90) == pytest.approx(3.6)  # unsorted input: 1, 2, 4
	assert percentile([7.0], 90) == 7.0
	assert percentile([], 90) is None
	with pytest.raises(ValueError):
		percentile([1.0], 101)


def test_weighted_percentile_is_the_percentile_of_the_values_listed_that_many_times():
	assert weighted_percentile([(4.0, 1), (10.0, 1), (20.0, 1)], 90) == pytest.approx(18.0)
	assert weighted_percentile([(2.0, 3), (1.0, 1)], 50) == 2.0  # 1, 2, 2, 2
	assert weighted_percentile([(5.0, 0)], 90) is None


@given(st.lists(st.tuples(st.integers(0, 500), st.integers(0, 6)), max_size=30), st.floats(0, 100))
def test_weighted_percentile_matches_the_expanded_list(histogram, q):
	expanded = [float(v) for v, n in histogram for _ in range(n)]
	expected = percentile(expanded, q)
	got = weighted_percentile([(float(v), n) for v, n in histogram], q)
	assert got == expected if expected is None else got == pytest.approx(expected)


def test_weighted_mean_rate_and_stars():
	assert weighted_mean([(1.0, 1), (4.0, 2)]) == 3.0
	assert weighted_mean([]) is None
	assert rate(3, 4) == 0.75
	assert rate(1, 0) is None
	assert stars([(0.8, 1), (0.4, 1)]) == 3.0  # 4 and 2 stars
	assert stars([(1, 3)]) == 5.0
	assert stars([]) is None


def part(group, count=1, refunded=0.0, approved=0, rejected=0):
	return GroupSums(group, count, refunded, approved, rejected)


def test_fold_adds_counts_and_builds_histograms_per_group():
	groups = fold(
		[
			(40, 40, 0.8, part("Damaged", 1, 100.0, approved=1)),  # approved and refunded after 4 h, 4 stars
			(100, None, 0.4, part("Damaged", 1, 50.0, approved=1)),  # credited after 10 h, 2 stars
			(None, None, None, part("Damaged", 1, rejected=1)),
			(200, 200, None, part("Wrong Item", 2, 80.0, approved=2)),  # two requests, 20 h each
		]
	)
	damaged = groups["Damaged"]
	assert (damaged.count, damaged.refunded_amount, damaged.approved, damaged.rejected) == (3, 150.0, 2, 1)
	assert damaged.approve_histogram == [(40, 1), (100, 1)]
	assert damaged.refund_histogram == [(40, 1)]
	assert damaged.ratings == [(0.8, 1), (0.4, 1)]
	assert groups["Wrong Item"].approve_histogram == [(200, 2)]


def test_figures_of_a_group():
	damaged = fold(
		[
			(40, 40, 0.8, part("Damaged", 1, 100.0, approved=1)),
			(100, None, 0.4, part("Damaged", 1, 50.0, approved=1)),
			(200, 200, None, part("Damaged", 1, 400.0, approved=1)),
			(None, None, None, part("Damaged", 1, rejected=1)),
		]
	)["Damaged"]
	row = figures(damaged, sales=1000.0)
	assert (row.count, row.refunded_amount, row.sales) == (4, 550.0, 1000.0)
	assert row.share_of_sales == pytest.approx(0.55)
	assert (row.approved, row.rejected, row.approval_rate) == (3, 1, 0.75)
	assert row.avg_hours_to_approve == pytest.approx((4 + 10 + 20) / 3)
	assert row.p90_hours_to_approve == pytest.approx(18.0)  # 4, 10, 20
	assert row.avg_hours_to_refund == pytest.approx(12.0)
	assert row.p90_hours_to_refund == pytest.approx(18.4)  # 4, 20
	assert (row.avg_stars, row.rated) == (3.0, 2)


def test_figures_without_sales_decisions_or_durations():
	row = figures(part("Late Delivery", 2), sales=0.0)
	assert (row.share_of_sales, row.approval_rate) == (None, None)
	assert (row.avg_hours_to_approve, row.p90_hours_to_approve, row.avg_stars, row.rated) == (None, None, None, 0)


def test_figures_round_money_to_the_precision():
	row = figures(part("X", 1, 10.0041), sales=30.0049, precision=2)
	assert (row.refunded_amount, row.sales) == (10.0, 30.0)


def test_ordered():
	rows = [
		figures(part("2026-02", 1, 10.0), 0.0),
		figures(part("2026-01", 1, 30.0), 0.0),
		figures(part("2026-03", 2), 0.0),
		figures(part("2026-04", 1), 0.0),
	]
	assert [r.group for r in ordered(rows, chronological=True)] == ["2026-01", "2026-02", "2026-03", "2026-04"]
	# by refunded amount, then by number of requests
	assert [r.group for r in ordered(rows)] == ["2026-01", "2026-02", "2026-03", "2026-04"]
	rows[0].refunded_amount = 0.0
	assert [r.group for r in ordered(rows)] == ["2026-01", "2026-03", "2026-02", "2026-04"]
