"""Refundable quantities and the checks on requested rows (refund_manager.core.quantities).

Plain Python, no site needed. Expected values are worked out by hand in each test.
"""

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refund_manager.core.problems import Problem
from refund_manager.core.quantities import OrderLine, RequestedRow, check_rows, refundable_qty

# ---------------------------------------------------------------- refundable_qty: examples


def test_refundable_without_return_goods_is_ordered_less_refunded():
	line = OrderLine("L1", ordered_qty=10, delivered_qty=4, refunded_qty=3)
	# basis is the ordered 10 (nothing has to come back), 3 already refunded elsewhere
	assert refundable_qty(line, return_goods=False) == 7


def test_refundable_with_return_goods_is_delivered_less_refunded():
	line = OrderLine("L1", ordered_qty=10, delivered_qty=4, refunded_qty=3)
	# only the 4 delivered units can come back, 3 of them already refunded
	assert refundable_qty(line, return_goods=True) == 1


def test_nothing_delivered_means_nothing_refundable_with_return_goods():
	line = OrderLine("L1", ordered_qty=5)
	assert refundable_qty(line, return_goods=True) == 0
	assert refundable_qty(line, return_goods=False) == 5


def test_returned_outside_takes_the_larger_of_stock_return_and_credit_not_their_sum():
	# 2 units came back on a return Delivery Note, 3 were credited: the 2 returned are (usually)
	# among the 3 credited, so 3 units are gone, not 5.
	line = OrderLine(
		"L1", ordered_qty=10, delivered_qty=8, stock_returned_outside_qty=2, credited_outside_qty=3
	)
	assert line.returned_outside_qty == 3
	assert refundable_qty(line, return_goods=False) == 7  # 10 - 3 (a sum would give 5)
	assert refundable_qty(line, return_goods=True) == 5  # 8 - 3 (a sum would give 3)


def test_returned_outside_uses_stock_return_when_it_is_the_larger():
	line = OrderLine(
		"L1", ordered_qty=10, delivered_qty=10, stock_returned_outside_qty=4, credited_outside_qty=1
	)
	assert line.returned_outside_qty == 4
	assert refundable_qty(line, return_goods=True) == 6


def test_refunded_and_returned_outside_both_reduce_the_basis():
	line = OrderLine(
		"L1", ordered_qty=10, delivered_qty=10, refunded_qty=2, stock_returned_outside_qty=3
	)
	assert refundable_qty(line, return_goods=True) == 5  # 10 - 2 - 3


def test_refundable_is_never_negative():
	# more refunded than delivered (e.g. refunds without return, then a return-goods request)
	line = OrderLine("L1", ordered_qty=10, delivered_qty=2, refunded_qty=6)
	assert refundable_qty(line, return_goods=True) == 0
	assert refundable_qty(line, return_goods=False) == 4

	over = OrderLine("L2", ordered_qty=1, credited_outside_qty=3)
	assert refundable_qty(over, return_goods=False) == 0


# ---------------------------------------------------------------- check_rows: examples


LINES = {
	"A": OrderLine("A", ordered_qty=10, delivered_qty=6, refunded_qty=1),  # 9 / 5 refundable
	"B": OrderLine("B", ordered_qty=2, delivered_qty=2),  # 2 / 2
}


def test_valid_rows_have_no_problems():
	rows = [RequestedRow(1, "A", 5), RequestedRow(2, "B", 2)]
	assert check_rows(rows, LINES, return_goods=True) == []
	assert check_rows(rows, LINES, return_goods=False) == []


def test_no_rows():
	assert check_rows([], LINES, return_goods=False) == [Problem("no_rows")]
	assert check_rows(iter(()), LINES, return_goods=True) == [Problem("no_rows")]


def test_rows_may_be_any_iterable():
	rows = (r for r in [RequestedRow(1, "A", 20)])
	assert [p.code for p in check_rows(rows, LINES, return_goods=False)] == ["qty_over_refundable"]


@pytest.mark.parametrize("order_line", [None, "", "Z"])
def test_unknown_line(order_line):
	rows = [RequestedRow(1, "A", 1), RequestedRow(2, order_line, 1)]
	assert check_rows(rows, LINES, return_goods=False) == [
		Problem("unknown_line", 2, {"order_line": order_line})
	]


def test_duplicate_line_names_the_first_row():
	rows = [
		RequestedRow(1, "B", 1),
		RequestedRow(2, "A", 1),
		RequestedRow(3, "A", 1),
		RequestedRow(4, "A", 1),
	]
	assert check_rows(rows, LINES, return_goods=False) == [
		Problem("duplicate_line", 3, {"first_row": 2}),
		Problem("duplicate_line", 4, {"first_row": 2}),
	]


def test_duplicate_is_flagged_even_if_both_rows_together_stay_within_the_limit():
	# 1 + 1 of B is within the 2 refundable, but one line may appear only once
	rows = [RequestedRow(1, "B", 1), RequestedRow(2, "B", 1)]
	assert check_rows(rows, LINES, return_goods=True) == [Problem("duplicate_line", 2, {"first_row": 1})]


def test_unknown_row_does_not_count_as_first_occurrence():
	rows = [RequestedRow(1, "Z", 1), RequestedRow(2, "Z", 1)]
	assert check_rows(rows, LINES, return_goods=False) == [
		Problem("unknown_line", 1, {"order_line": "Z"}),
		Problem("unknown_line", 2, {"order_line": "Z"}),
	]


@pytest.mark.parametrize("qty", [0, 0.0, -1, -0.5])
def test_qty_not_positive(qty):
	rows = [RequestedRow(1, "A", 1), RequestedRow(2, "B", qty)]
	assert check_rows(rows, LINES, return_goods=False) == [Problem("qty_not_positive", 2, {"qty": qty})]


def test_qty_that_rounds_to_zero_at_the_precision_is_not_positive():
	rows = [RequestedRow(7, "A", 0.0004)]
	assert check_rows(rows, LINES, return_goods=False, precision=3) == [
		Problem("qty_not_positive", 7, {"qty": 0.0004})
	]
	# at a finer precision the same quantity is a real (if small) quantity
	assert check_rows(rows, LINES, return_goods=False, precision=6) == []


def test_qty_over_refundable_without_return_goods():
	# A: ordered 10, refunded 1 -> 9 refundable
	rows = [RequestedRow(1, "A", 9.5)]
	assert check_rows(rows, LINES, return_goods=False) == [
		Problem("qty_over_refundable", 1, {"qty": 9.5, "limit": 9, "return_goods": False})
	]


def test_qty_over_refundable_with_return_goods():
	# A: delivered 6, refunded 1 -> 5 refundable when the goods must come back
	rows = [RequestedRow(3, "A", 6)]
	assert check_rows(rows, LINES, return_goods=True) == [
		Problem("qty_over_refundable", 3, {"qty": 6, "limit": 5, "return_goods": True})
	]


def test_same_qty_is_fine_or_too_much_depending_on_return_goods():
	rows = [RequestedRow(1, "A", 7)]
	assert check_rows(rows, LINES, return_goods=False) == []  # 7 <= 9
	assert [p.code for p in check_rows(rows, LINES, return_goods=True)] == ["qty_over_refundable"]  # 7 > 5


def test_qty_exactly_at_refundable_is_fine():
	rows = [RequestedRow(1, "A", 9), RequestedRow(2, "B", 2)]
	assert check_rows(rows, LINES, return_goods=False) == []
	rows = [RequestedRow(1, "A", 5), RequestedRow(2, "B", 2)]
	assert check_rows(rows, LINES, return_goods=True) == []


def test_over_refundable_limit_reflects_the_returned_outside_max_rule():
	lines = {
		"A": OrderLine("A", ordered_qty=10, delivered_qty=10, stock_returned_outside_qty=2, credited_outside_qty=3)
	}
	# 7 refundable (10 - max(2, 3)): 7 passes, 8 does not and the limit says 7
	assert check_rows([RequestedRow(1, "A", 7)], lines, return_goods=True) == []
	assert check_rows([RequestedRow(1, "A", 8)], lines, return_goods=True) == [
		Problem("qty_over_refundable", 1, {"qty": 8, "limit": 7, "return_goods": True})
	]


def test_float_noise_is_not_over_refundable():
	assert 0.1 + 0.2 > 0.3  # the float noise this test is about
	lines = {"A": OrderLine("A", ordered_qty=0.3, delivered_qty=0.3)}
	assert check_rows([RequestedRow(1, "A", 0.1 + 0.2)], lines, return_goods=True) == []
	assert check_rows([RequestedRow(1, "A", 0.1 + 0.2)], lines, return_goods=False) == []


def test_float_noise_in_the_limit_is_rounded_away_in_the_problem():
	# refundable = 1 - 0.7 = 0.30000000000000004; asking 0.4 is over, the limit reads 0.3
	lines = {"A": OrderLine("A", ordered_qty=1, refunded_qty=0.7)}
	assert check_rows([RequestedRow(1, "A", 0.4)], lines, return_goods=False) == [
		Problem("qty_over_refundable", 1, {"qty": 0.4, "limit": 0.3, "return_goods": False})
	]


def test_precision_decides_what_counts_as_over():
	lines = {"A": OrderLine("A", ordered_qty=1)}
	# 0.004 over rounds to 0.00 at precision 2: accepted
	assert check_rows([RequestedRow(1, "A", 1.004)], lines, return_goods=False, precision=2) == []
	# 0.006 over rounds to 0.01: flagged, limit reported at that precision
	assert check_rows([RequestedRow(1, "A", 1.006)], lines, return_goods=False, precision=2) == [
		Problem("qty_over_refundable", 1, {"qty": 1.006, "limit": 1, "return_goods": False})
	]
	# at the default precision (6) the 0.004 excess is real
	assert [p.code for p in check_rows([RequestedRow(1, "A", 1.004)], lines, return_goods=False)] == [
		"qty_over_refundable"
	]


def test_all_problems_are_reported_in_row_order():
	rows = [
		RequestedRow(1, "A", 100),  # over: 9 refundable
		RequestedRow(2, None, 1),  # unknown
		RequestedRow(3, "B", 0),  # not positive
		RequestedRow(4, "A", 1),  # duplicate of row 1
		RequestedRow(5, "Q", 1),  # unknown
	]
	assert check_rows(rows, LINES, return_goods=False) == [
		Problem("qty_over_refundable", 1, {"qty": 100, "limit": 9, "return_goods": False}),
		Problem("unknown_line", 2, {"order_line": None}),
		Problem("qty_not_positive", 3, {"qty": 0}),
		Problem("duplicate_line", 4, {"first_row": 1}),
		Problem("unknown_line", 5, {"order_line": "Q"}),
	]


# ---------------------------------------------------------------- properties

qty = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)


@st.composite
def order_lines(draw, q=qty):
	return OrderLine(
		"L",
		ordered_qty=draw(q),
		delivered_qty=draw(q),
		refunded_qty=draw(q),
		stock_returned_outside_qty=draw(q),
		credited_outside_qty=draw(q),
	)


def basis(line: OrderLine, return_goods: bool) -> float:
	return line.delivered_qty if return_goods else line.ordered_qty


@settings(deadline=None)
@given(order_lines(), st.booleans())
def test_refundable_is_between_zero_and_basis(line, return_goods):
	refundable = refundable_qty(line, return_goods)
	assert refundable >= 0
	assert refundable <= basis(line, return_goods)


@settings(deadline=None)
@given(order_lines(), st.booleans())
def test_refundable_is_the_basis_when_nothing_is_refunded_or_returned(line, return_goods):
	fresh = OrderLine(line.name, line.ordered_qty, line.delivered_qty)
	assert refundable_qty(fresh, return_goods) == basis(line, return_goods)


@settings(deadline=None)
@given(order_lines(), st.booleans(), qty)
def test_more_refunded_never_means_more_refundable(line, return_goods, extra):
	more = OrderLine(
		line.name,
		line.ordered_qty,
		line.delivered_qty,
		line.refunded_qty + extra,
		line.stock_returned_outside_qty,
		line.credited_outside_qty,
	)
	assert refundable_qty(more, return_goods) <= refundable_qty(line, return_goods)


@settings(deadline=None)
@given(order_lines(), st.booleans())
def test_smaller_of_stock_return_and_credit_does_not_matter(line, return_goods):
	larger = max(line.stock_returned_outside_qty, line.credited_outside_qty)
	only_stock = OrderLine(line.name, line.ordered_qty, line.delivered_qty, line.refunded_qty, larger, 0)
	only_credit = OrderLine(line.name, line.ordered_qty, line.delivered_qty, line.refunded_qty, 0, larger)
	expected = refundable_qty(only_stock, return_goods)
	assert refundable_qty(only_credit, return_goods) == expected
	assert refundable_qty(line, return_goods) == expected


@settings(deadline=None)
@given(order_lines(), st.booleans())
def test_check_rows_accepts_exactly_the_refundable_and_rejects_one_unit_more(line, return_goods):
	precision = 6
	limit = refundable_qty(line, return_goods)
	lines = {"L": line}
	if round(limit, precision) > 0:
		assert check_rows([RequestedRow(1, "L", limit)], lines, return_goods, precision) == []
	over = limit + 10**-precision
	problems = check_rows([RequestedRow(1, "L", over)], lines, return_goods, precision)
	assert [p.code for p in problems] == ["qty_over_refundable"]
	assert problems[0].row == 1
	assert problems[0].values["return_goods"] is return_goods
	assert math.isclose(problems[0].values["limit"], limit, abs_tol=10**-precision)


# A sequence of Refund Requests against one line. Quantities live on the grid of the quantity
# field's precision (3 decimals here), as they do on real documents.
PRECISION = 3
grid_qty = st.integers(min_value=0, max_value=10**7).map(lambda n: n / 10**PRECISION)
fractions = st.floats(min_value=0, max_value=1)


def take(limit: float, fraction: float) -> float:
	"""A quantity on the grid, not above limit."""
	return min(limit, math.floor(limit * fraction * 10**PRECISION) / 10**PRECISION)


def refund(line: OrderLine, qty_: float) -> OrderLine:
	return OrderLine(
		line.name,
		line.ordered_qty,
		line.delivered_qty,
		line.refunded_qty + qty_,
		line.stock_returned_outside_qty,
		line.credited_outside_qty,
	)


def tolerance(line: OrderLine) -> float:
	return 1e-9 * max(1.0, line.ordered_qty, line.delivered_qty)


@settings(deadline=None)
@given(order_lines(grid_qty).map(lambda l: refund(l, -l.refunded_qty)), st.booleans(), st.lists(fractions, max_size=12))
def test_partial_refunds_never_add_up_to_more_than_was_sold(line, return_goods, steps):
	sold = basis(line, return_goods)
	outside = line.returned_outside_qty
	refunded = 0.0
	for step, fraction in enumerate(steps, start=1):
		limit = refundable_qty(line, return_goods)
		qty_ = take(limit, fraction)
		if round(qty_, PRECISION) <= 0:
			continue
		# the request is within the then-current refundable quantity, and the check agrees
		assert check_rows([RequestedRow(step, "L", qty_)], {"L": line}, return_goods, PRECISION) == []
		line = refund(line, qty_)
		refunded += qty_
		assert refunded <= sold + tolerance(line)
		assert refunded + outside <= max(sold, outside) + tolerance(line)

	# refunding exactly what is left uses it all up ...
	rest = refundable_qty(line, return_goods)
	if round(rest, PRECISION) > 0:
		assert check_rows([RequestedRow(99, "L", rest)], {"L": line}, return_goods, PRECISION) == []
		line = refund(line, rest)
		refunded += rest
	assert refundable_qty(line, return_goods) == pytest.approx(0, abs=tolerance(line))
	# ... so that refunds and returns outside add up to everything sold (unless returns outside
	# alone already exceeded it)
	assert refunded + outside == pytest.approx(max(sold, outside), abs=tolerance(line))
	# ... and not one more unit passes the check
	one_more = [RequestedRow(100, "L", 10**-PRECISION)]
	assert [p.code for p in check_rows(one_more, {"L": line}, return_goods, PRECISION)] == [
		"qty_over_refundable"
	]


@settings(deadline=None)
@given(
	order_lines(grid_qty).map(lambda l: refund(l, -l.refunded_qty)),
	st.lists(st.tuples(st.booleans(), fractions), max_size=12),
)
def test_mixing_requests_with_and_without_return_goods_stays_within_what_was_sold(line, steps):
	"""Every live request counts against both bases, whichever way it was raised."""
	refunded_with_return = 0.0
	for return_goods, fraction in steps:
		qty_ = take(refundable_qty(line, return_goods), fraction)
		if round(qty_, PRECISION) <= 0:
			continue
		line = refund(line, qty_)
		if return_goods:
			refunded_with_return += qty_
		# the request just made fits in its own basis, together with all earlier ones
		assert line.refunded_qty + line.returned_outside_qty <= basis(line, return_goods) + tolerance(line)
		# goods that come back never exceed what was delivered
		assert refunded_with_return <= line.delivered_qty + tolerance(line)
	assert line.refunded_qty <= max(line.ordered_qty, line.delivered_qty) + tolerance(line)


@settings(deadline=None)
@given(order_lines(), st.booleans(), st.lists(st.sampled_from(["L", "M", None, "X"]), min_size=1, max_size=8))
def test_check_rows_reports_at_most_one_problem_per_row_in_row_order(line, return_goods, names):
	lines = {"L": line, "M": line}
	rows = [RequestedRow(i, name, 1.0) for i, name in enumerate(names, start=1)]
	problems = check_rows(rows, lines, return_goods)
	reported = [p.row for p in problems]
	assert reported == sorted(set(reported))
	codes = {p.row: p.code for p in problems}
	seen = set()
	for i, name in enumerate(names, start=1):
		if name not in lines:
			assert codes[i] == "unknown_line"
		elif name in seen:
			assert codes[i] == "duplicate_line"
		else:
			assert codes.get(i) in (None, "qty_over_refundable")
			seen.add(name)
