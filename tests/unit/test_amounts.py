"""Refund amounts: rounding, pro-rata taxes, totals and the checks on them (refund_manager.core.amounts).

Plain Python, no site needed. Expected values are worked out by hand in each test.
"""

import math
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refund_manager.core.amounts import (
	PricedRow,
	RowAmounts,
	Totals,
	check_amounts,
	compute_totals,
	line_taxes,
	refundable_amount,
	round_half_up,
	unit_taxes,
)
from refund_manager.core.problems import Problem


def to_decimal(value: float) -> Decimal:
	return Decimal(repr(value))


def on_grid(value: float, precision: int) -> bool:
	return to_decimal(value) == to_decimal(value).quantize(Decimal(1).scaleb(-precision))


# ---------------------------------------------------------------- round_half_up


@pytest.mark.parametrize(
	"value, precision, expected",
	[
		(2.675, 2, 2.68),  # the float is 2.67499999..., Python's round() gives 2.67
		(1.005, 2, 1.01),  # likewise 1.00499999...
		(0.125, 2, 0.13),  # an exact half: away from zero, not to even (round() gives 0.12)
		(0.135, 2, 0.14),
		(2.5, 0, 3.0),  # round() gives 2
		(0.5, 0, 1.0),  # round() gives 0
		(1.5, 0, 2.0),
		(2.674, 2, 2.67),
		(-2.675, 2, -2.68),  # halves move away from zero on both sides
		(-0.5, 0, -1.0),
		(1.23456785, 7, 1.2345679),
		(10, 2, 10.0),
		(0.0, 2, 0.0),
	],
)
def test_round_half_up(value, precision, expected):
	assert round_half_up(value, precision) == expected


def test_round_half_up_differs_from_builtin_round_where_it_matters():
	assert round(2.675, 2) == 2.67
	assert round_half_up(2.675, 2) == 2.68


@settings(deadline=None)
@given(st.integers(min_value=-(10**12), max_value=10**12), st.integers(min_value=0, max_value=3))
def test_round_half_up_moves_a_decimal_half_away_from_zero(units, precision):
	# value = units + 0.5 in the last kept place, written as a decimal (e.g. 2.675 for 267 at 2)
	half = Decimal(2 * units + (1 if units >= 0 else -1)) / 2 * Decimal(1).scaleb(-precision)
	away = Decimal(units + (1 if units >= 0 else -1)) * Decimal(1).scaleb(-precision)
	assert round_half_up(float(half), precision) == float(away)


@settings(deadline=None)
@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False), st.integers(min_value=0, max_value=4))
def test_round_half_up_lands_on_the_grid_and_close_to_the_value(value, precision):
	result = round_half_up(value, precision)
	quantum = 10**-precision
	assert abs(result - value) <= quantum / 2 + 1e-9 * max(1.0, abs(value))
	assert on_grid(result, precision)


# ---------------------------------------------------------------- pro-rata taxes


def test_line_taxes_are_pro_rata_to_the_net_amount():
	# order: A net 300, B net 100 -> net total 400, taxes 50
	assert line_taxes(300, 400, 50) == 37.5  # 3/4 of 50
	assert line_taxes(100, 400, 50) == 12.5  # 1/4 of 50
	assert line_taxes(300, 400, 50) + line_taxes(100, 400, 50) == 50


def test_unit_taxes_spread_line_taxes_evenly_over_the_quantity():
	# A: 3 x 100 carries 37.5 -> 12.5 a unit; B: 4 x 25 carries 12.5 -> 3.125 a unit
	assert unit_taxes(300, 3, 400, 50) == 12.5
	assert unit_taxes(100, 4, 400, 50) == 3.125


def test_taxes_of_a_whole_two_line_order_add_up_to_the_order_taxes():
	a = PricedRow(qty=3, rate=100, unit_tax=unit_taxes(300, 3, 400, 50))
	b = PricedRow(qty=4, rate=25, unit_tax=unit_taxes(100, 4, 400, 50))
	totals = compute_totals([a, b], [], precision=2)
	assert totals.rows == (RowAmounts(300, 37.5), RowAmounts(100, 12.5))
	assert totals.items_total == 400  # the order's net total
	assert totals.taxes_total == 50  # the order's taxes
	assert totals.refund_amount == 450


def test_partial_refund_carries_the_taxes_of_the_units_refunded():
	# 1 of the 3 A (12.5 tax each) and 2 of the 4 B (3.125 each): 12.5 + 6.25
	a = PricedRow(qty=1, rate=100, unit_tax=unit_taxes(300, 3, 400, 50))
	b = PricedRow(qty=2, rate=25, unit_tax=unit_taxes(100, 4, 400, 50))
	totals = compute_totals([a, b], [], precision=2)
	assert totals.items_total == 150
	assert totals.taxes_total == 18.75
	assert totals.refund_amount == 168.75


def test_no_taxes_for_an_order_without_net_total_or_a_line_without_qty():
	assert line_taxes(10, 0, 5) == 0
	assert unit_taxes(10, 0, 100, 5) == 0
	assert unit_taxes(10, 1, 0, 5) == 0


def test_order_without_taxes_gives_no_taxes():
	assert line_taxes(300, 400, 0) == 0
	assert unit_taxes(300, 3, 400, 0) == 0


# ---------------------------------------------------------------- compute_totals


def test_each_row_is_rounded_before_adding_up():
	# three rows of 1 x 0.005: each row is 0.01 on the document, so 0.03 in all
	# (rounding only the sum, 0.015, would give 0.02)
	rows = [PricedRow(1, 0.005)] * 3
	totals = compute_totals(rows, [], precision=2)
	assert [r.amount for r in totals.rows] == [0.01, 0.01, 0.01]
	assert totals.items_total == 0.03


def test_row_amount_is_rounded_half_up():
	# 1 x 2.675 -> 2.68 (not 2.67); tax 1 x 0.125 -> 0.13 (not 0.12)
	totals = compute_totals([PricedRow(1, 2.675, 0.125)], [], precision=2)
	assert totals.rows == (RowAmounts(2.68, 0.13),)
	assert totals.items_total == 2.68
	assert totals.taxes_total == 0.13
	assert totals.refund_amount == 2.81


def test_deductions_are_rounded_and_subtracted():
	# items 3 x 19.99 = 59.97, taxes 3 x 3.7981 = 11.3943 -> 11.39
	# deductions 5.004 -> 5.00 and 2.005 -> 2.01: 7.01
	totals = compute_totals([PricedRow(3, 19.99, 3.7981)], [5.004, 2.005], precision=2)
	assert totals.items_total == 59.97
	assert totals.taxes_total == 11.39
	assert totals.deductions_total == 7.01
	assert totals.refund_amount == 64.35  # 59.97 + 11.39 - 7.01


def test_no_rows_and_no_deductions_is_zero():
	totals = compute_totals([], [], precision=2)
	assert (totals.items_total, totals.taxes_total, totals.deductions_total, totals.refund_amount) == (0, 0, 0, 0)
	assert totals.rows == ()


def test_compute_totals_uses_the_given_rounder():
	def truncate(value, precision):
		return math.floor(value * 10**precision) / 10**precision

	# 1 x 2.679 truncates to 2.67 (half-up would give 2.68)
	totals = compute_totals([PricedRow(1, 2.679)], [], precision=2, rounder=truncate)
	assert totals.items_total == 2.67
	assert totals.refund_amount == 2.67


def test_precision_zero_currency():
	# e.g. JPY: 3 x 333.5 = 1000.5 -> 1001; tax 3 x 33.35 = 100.05 -> 100
	totals = compute_totals([PricedRow(3, 333.5, 33.35)], [0.5], precision=0)
	assert totals.items_total == 1001
	assert totals.taxes_total == 100
	assert totals.deductions_total == 1  # 0.5 rounds half up
	assert totals.refund_amount == 1100


# ---------------------------------------------------------------- refundable_amount


def test_refundable_amount_is_the_larger_of_billed_and_paid_less_other_refunds():
	assert refundable_amount(billed=100, paid=60, refunded_elsewhere=30) == 70
	assert refundable_amount(billed=50, paid=80, refunded_elsewhere=0) == 80  # advance over the bill
	assert refundable_amount(billed=0, paid=0, refunded_elsewhere=0) == 0


def test_refundable_amount_is_never_negative():
	assert refundable_amount(billed=100, paid=100, refunded_elsewhere=120) == 0


# ---------------------------------------------------------------- check_amounts


def totals_of(items: float, taxes: float = 0, deductions=()) -> Totals:
	return compute_totals([PricedRow(1, items, taxes)], list(deductions), precision=2)


def test_amounts_within_limit_have_no_problems():
	totals = totals_of(80, 15.2, [5])  # 90.20
	assert totals.refund_amount == 90.2
	assert check_amounts(totals, [5], limit=100, precision=2) == []


def test_refund_exactly_at_the_limit_is_fine():
	totals = totals_of(84.03, 15.97)  # 100.00
	assert totals.refund_amount == 100
	assert check_amounts(totals, [], limit=100, precision=2) == []


def test_refund_one_cent_over_the_limit_is_flagged():
	totals = totals_of(84.04, 15.97)  # 100.01
	assert check_amounts(totals, [], limit=100, precision=2) == [
		Problem("refund_over_limit", values={"refund_amount": 100.01, "limit": 100})
	]


def test_float_noise_around_the_limit_is_not_flagged():
	assert 0.1 + 0.2 > 0.3 and 0.7 - 0.4 < 0.3  # the float noise this test is about
	totals = totals_of(0.1, 0.2)
	assert totals.refund_amount == 0.3
	# a limit a hair under the refund
	assert check_amounts(totals, [], limit=0.7 - 0.4, precision=2) == []
	# a refund a hair over the limit
	noisy = replace(totals, refund_amount=0.1 + 0.2)
	assert check_amounts(noisy, [], limit=0.3, precision=2) == []


def test_zero_limit_rejects_any_refund():
	totals = totals_of(0.01)
	assert check_amounts(totals, [], limit=0, precision=2) == [
		Problem("refund_over_limit", values={"refund_amount": 0.01, "limit": 0})
	]


def test_deductions_making_the_refund_negative():
	# 10.00 + 1.90 taxes - (5 + 8) deductions = -1.10
	deductions = [5, 8]
	totals = totals_of(10, 1.9, deductions)
	assert totals.deductions_total == 13
	assert totals.refund_amount == -1.1
	# reported once as negative, not also as over the limit
	assert check_amounts(totals, deductions, limit=0, precision=2) == [
		Problem("refund_negative", values={"refund_amount": -1.1, "deductions_total": 13})
	]


def test_deductions_equal_to_the_refund_leave_zero_which_is_fine():
	deductions = [10, 1.9]
	totals = totals_of(10, 1.9, deductions)
	assert totals.refund_amount == 0
	assert check_amounts(totals, deductions, limit=0, precision=2) == []


def test_negative_deductions_are_flagged_by_row():
	deductions = [5, -2, 0, -0.001, -0.5]
	totals = totals_of(50, 0, deductions)
	# row 4 (-0.001) is -0.00 at precision 2: not a negative deduction
	assert check_amounts(totals, deductions, limit=1000, precision=2) == [
		Problem("deduction_negative", 2, {"amount": -2}),
		Problem("deduction_negative", 5, {"amount": -0.5}),
	]


def test_negative_deduction_and_refund_over_limit_are_both_reported():
	deductions = [-10]
	totals = totals_of(100, 0, deductions)  # 110
	assert check_amounts(totals, deductions, limit=100, precision=2) == [
		Problem("deduction_negative", 1, {"amount": -10}),
		Problem("refund_over_limit", values={"refund_amount": 110, "limit": 100}),
	]


# ---------------------------------------------------------------- properties

money = st.integers(min_value=1, max_value=10**8).map(lambda cents: cents / 100)


@settings(deadline=None)
@given(st.lists(money, min_size=1, max_size=20), st.integers(min_value=0, max_value=10**7).map(lambda c: c / 100))
def test_line_taxes_of_all_lines_add_up_to_the_order_taxes(line_net_amounts, order_taxes):
	net_total = sum(line_net_amounts)
	shares = [line_taxes(amount, net_total, order_taxes) for amount in line_net_amounts]
	assert math.fsum(shares) == pytest.approx(order_taxes, rel=1e-9, abs=1e-9)
	assert all(share >= 0 for share in shares)


@settings(deadline=None)
@given(
	st.lists(st.tuples(money, st.integers(min_value=1, max_value=1000)), min_size=1, max_size=20),
	st.integers(min_value=0, max_value=10**7).map(lambda c: c / 100),
)
def test_unit_taxes_times_the_ordered_qty_add_up_to_the_order_taxes(lines, order_taxes):
	net_total = sum(amount for amount, _ in lines)
	total = math.fsum(unit_taxes(amount, qty, net_total, order_taxes) * qty for amount, qty in lines)
	assert total == pytest.approx(order_taxes, rel=1e-9, abs=1e-9)


priced_rows = st.builds(
	PricedRow,
	qty=st.integers(min_value=1, max_value=10**6).map(lambda n: n / 1000),
	rate=st.integers(min_value=0, max_value=10**7).map(lambda n: n / 100),
	unit_tax=st.floats(min_value=0, max_value=1e4, allow_nan=False),
)


@settings(deadline=None)
@given(
	st.lists(priced_rows, max_size=15),
	st.lists(st.floats(min_value=0, max_value=1e5, allow_nan=False), max_size=5),
	st.integers(min_value=0, max_value=4),
)
def test_totals_add_up_exactly_at_the_currency_precision(rows, deductions, precision):
	totals = compute_totals(rows, deductions, precision)
	quantum = 10**-precision

	assert len(totals.rows) == len(rows)
	for row, amounts in zip(rows, totals.rows, strict=True):
		assert on_grid(amounts.amount, precision)
		assert on_grid(amounts.tax_amount, precision)
		assert abs(amounts.amount - row.qty * row.rate) <= quantum / 2 + 1e-6
		assert abs(amounts.tax_amount - row.qty * row.unit_tax) <= quantum / 2 + 1e-6

	for total in (totals.items_total, totals.taxes_total, totals.deductions_total, totals.refund_amount):
		assert on_grid(total, precision)

	# totals are the exact decimal sums of the rounded rows, not of the unrounded values
	assert to_decimal(totals.items_total) == sum((to_decimal(r.amount) for r in totals.rows), Decimal(0))
	assert to_decimal(totals.taxes_total) == sum((to_decimal(r.tax_amount) for r in totals.rows), Decimal(0))
	assert to_decimal(totals.deductions_total) == sum(
		(to_decimal(round_half_up(d, precision)) for d in deductions), Decimal(0)
	)
	# and the refund is exactly items + taxes - deductions, no extra rounding drift
	assert to_decimal(totals.refund_amount) == (
		to_decimal(totals.items_total) + to_decimal(totals.taxes_total) - to_decimal(totals.deductions_total)
	)


@settings(deadline=None)
@given(st.lists(priced_rows, min_size=1, max_size=10), st.integers(min_value=0, max_value=10**7))
def test_check_amounts_flags_over_limit_exactly_when_above_the_limit(rows, limit_cents):
	totals = compute_totals(rows, [], 2)
	limit = limit_cents / 100
	problems = check_amounts(totals, [], limit, 2)
	if to_decimal(totals.refund_amount) > to_decimal(limit):
		assert problems == [
			Problem("refund_over_limit", values={"refund_amount": totals.refund_amount, "limit": limit})
		]
	else:
		assert problems == []
	# a limit equal to the refund itself always passes
	assert check_amounts(totals, [], totals.refund_amount, 2) == []
