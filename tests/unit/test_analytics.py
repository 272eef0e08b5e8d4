"""Refund Analytics arithmetic (refund_manager.core.analytics): shares, rates, percentiles, groups.

Plain Python, no site needed.
"""

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refund_manager.core.analytics import (
	APPROVED,
	PENDING,
	REJECTED,
	RequestFacts,
	hours_between,
	line_shares,
	mean,
	month_key,
	ordered,
	outcome,
	percentile,
	rate,
	refunded_amount,
	stars,
	summarize,
)

T0 = datetime(2026, 3, 2, 9, 0)


def test_outcome_approved_wins_over_the_status():
	assert outcome("Cancelled", approved=True) == APPROVED  # approved, cancelled later: still a decision
	assert outcome("Refunded", approved=True) == APPROVED
	assert outcome("Rejected", approved=False) == REJECTED
	assert outcome("Pending Approval", approved=False) == PENDING


@pytest.mark.parametrize(
	"status, expected",
	[("Refunded", 110.0), ("Credited", 110.0), ("Approved", 0.0), ("Cancelled", 0.0), ("Rejected", 0.0)],
)
def test_refunded_amount_counts_refunded_and_credited_only(status, expected):
	assert refunded_amount(status, 110.0) == expected


def test_hours_between():
	assert hours_between(T0, datetime(2026, 3, 3, 10, 30)) == 25.5
	assert hours_between(None, T0) is None
	assert hours_between(T0, None) is None
	assert hours_between(datetime(2026, 3, 3), T0) == 0.0  # never negative


@pytest.mark.parametrize("rating, expected", [(0.8, 4.0), (1, 5.0), (0.2, 1.0), (0.6, 3.0), (0, None), (None, None)])
def test_stars_from_frappe_rating_fraction(rating, expected):
	assert stars(rating) == expected


def test_month_key():
	assert month_key(date(2026, 3, 31)) == "2026-03"
	assert month_key(date(2026, 11, 1)) == "2026-11"


def test_line_shares_pro_rata_and_merged_per_group():
	assert line_shares([("A", 300.0), ("B", 100.0)]) == {"A": 0.75, "B": 0.25}
	assert line_shares([("A", 100.0), ("B", 200.0), ("A", 100.0)]) == {"A": 0.5, "B": 0.5}
	assert line_shares([("A", 0.0), ("B", 0.0)]) == {"A": 0.5, "B": 0.5}
	assert line_shares([]) == {}


@given(st.lists(st.tuples(st.sampled_from("ABCD"), st.floats(0, 1e6)), min_size=1, max_size=10))
def test_line_shares_always_sum_to_one(lines):
	assert sum(line_shares(lines).values()) == pytest.approx(1.0)


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


@given(st.lists(st.floats(0, 1e5), min_size=1, max_size=50), st.floats(0, 100))
def test_percentile_lies_within_the_values(values, q):
	p = percentile(values, q)
	assert min(values) - 1e-6 <= p <= max(values) + 1e-6


def test_mean_and_rate():
	assert mean([1.0, 2.0, 6.0]) == 3.0
	assert mean([]) is None
	assert rate(3, 4) == 0.75
	assert rate(1, 0) is None


def facts(name, outcome=APPROVED, amount=0.0, to_approve=None, to_refund=None, rating=None):
	return RequestFacts(name, outcome, amount, to_approve, to_refund, rating)


def test_summarize_one_group_per_request():
	entries = [
		(facts("R1", APPROVED, 100.0, 2.0, 2.0, 4.0), {"Damaged": 1.0}),
		(facts("R2", APPROVED, 50.0, 10.0, None, None), {"Damaged": 1.0}),  # credited: no refund time
		(facts("R3", REJECTED), {"Damaged": 1.0}),
		(facts("R4", PENDING), {"Wrong Item": 1.0}),
	]
	rows, total = summarize(entries, {"Damaged": 1000.0}, 2000.0)
	by_group = {r.group: r for r in rows}
	damaged = by_group["Damaged"]
	assert (damaged.count, damaged.refunded_amount, damaged.sales) == (3, 150.0, 1000.0)
	assert damaged.share_of_sales == pytest.approx(0.15)
	assert (damaged.approved, damaged.rejected) == (2, 1)
	assert damaged.approval_rate == pytest.approx(2 / 3)
	assert damaged.avg_hours_to_approve == 6.0
	assert damaged.p90_hours_to_approve == pytest.approx(2 + 0.9 * 8)
	assert (damaged.avg_hours_to_refund, damaged.p90_hours_to_refund) == (2.0, 2.0)
	assert (damaged.avg_stars, damaged.rated) == (4.0, 1)

	wrong = by_group["Wrong Item"]
	assert (wrong.count, wrong.refunded_amount, wrong.sales, wrong.share_of_sales) == (1, 0.0, 0.0, None)
	assert wrong.approval_rate is None  # nothing decided yet
	assert wrong.avg_hours_to_approve is None and wrong.p90_hours_to_refund is None

	assert (total.group, total.count, total.refunded_amount, total.sales) == ("", 4, 150.0, 2000.0)
	assert total.share_of_sales == pytest.approx(0.075)
	assert total.approval_rate == pytest.approx(2 / 3)


def test_summarize_without_sales_per_group_compares_each_group_with_all_sales():
	entries = [(facts("R1", APPROVED, 100.0), {"Damaged": 1.0}), (facts("R2", APPROVED, 50.0), {"Wrong Item": 1.0})]
	rows, total = summarize(entries, None, 1000.0)
	assert {r.group: (r.sales, r.share_of_sales) for r in rows} == {"Damaged": (1000.0, 0.1), "Wrong Item": (1000.0, 0.05)}
	assert (total.sales, total.share_of_sales) == (1000.0, 0.15)


def test_summarize_shares_a_request_among_its_item_groups_and_counts_it_once_in_the_total():
	split = facts("R1", APPROVED, 200.0, 5.0, 5.0)
	entries = [
		(split, {"Tools": 0.75, "Toys": 0.25}),
		(facts("R2", APPROVED, 40.0, 1.0, 1.0), {"Toys": 1.0}),
	]
	rows, total = summarize(entries, {"Tools": 600.0, "Toys": 400.0}, 1000.0)
	by_group = {r.group: r for r in rows}
	assert (by_group["Tools"].count, by_group["Tools"].refunded_amount) == (1, 150.0)
	assert (by_group["Toys"].count, by_group["Toys"].refunded_amount) == (2, 90.0)
	assert by_group["Toys"].share_of_sales == pytest.approx(90 / 400)
	assert (total.count, total.refunded_amount) == (2, 240.0)
	assert total.avg_hours_to_approve == 3.0  # R1 once, not twice


def test_summarize_total_shows_only_the_part_of_a_request_its_groups_show():
	# an item-group filter keeps one line of a two-line request
	rows, total = summarize([(facts("R1", APPROVED, 200.0), {"Tools": 0.75})], {"Tools": 600.0}, 600.0)
	assert rows[0].refunded_amount == total.refunded_amount == 150.0
	assert total.count == 1


def test_ordered():
	rows, _total = summarize(
		[
			(facts("R1", APPROVED, 10.0), {"2026-02": 1.0}),
			(facts("R2", APPROVED, 30.0), {"2026-01": 1.0}),
			(facts("R3", PENDING), {"2026-03": 1.0}),
			(facts("R4", PENDING), {"2026-03": 1.0}),
		],
		{},
		0.0,
	)
	assert [r.group for r in ordered(rows, chronological=True)] == ["2026-01", "2026-02", "2026-03"]
	assert [r.group for r in ordered(rows)] == ["2026-01", "2026-02", "2026-03"]  # 30, 10, then 0 x 2
	rows[0].refunded_amount = 0.0  # 2026-02 now 0 with one request: fewer than 2026-03's two
	assert [r.group for r in ordered(rows)] == ["2026-01", "2026-03", "2026-02"]
