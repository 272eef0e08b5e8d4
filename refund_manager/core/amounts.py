"""Refund amounts: line values, their pro-rata share of the order's taxes, deductions, net refund.

Taxes of a line = order taxes x line net amount / order net total (pro rata), spread evenly over
the line's quantity. The net refund is never negative and never above what the customer was billed
or paid for the order, less what other live Refund Requests already give back.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from refund_manager.core.problems import Problem

Rounder = Callable[[float, int], float]


def round_half_up(value: float, precision: int) -> float:
	quantum = Decimal(1).scaleb(-precision)
	return float(Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP))


def line_taxes(line_net_amount: float, order_net_total: float, order_taxes: float) -> float:
	"""The share of the order's taxes carried by one line (pro rata to its net amount)."""
	if not order_net_total:
		return 0.0
	return order_taxes * line_net_amount / order_net_total


def unit_taxes(line_net_amount: float, line_qty: float, order_net_total: float, order_taxes: float) -> float:
	if not line_qty:
		return 0.0
	return line_taxes(line_net_amount, order_net_total, order_taxes) / line_qty


@dataclass(frozen=True)
class PricedRow:
	qty: float
	rate: float  # net of discounts, before taxes
	unit_tax: float = 0.0


@dataclass(frozen=True)
class RowAmounts:
	amount: float
	tax_amount: float


@dataclass(frozen=True)
class Totals:
	rows: tuple[RowAmounts, ...]
	items_total: float
	taxes_total: float
	deductions_total: float
	refund_amount: float


def compute_totals(
	rows: Iterable[PricedRow],
	deductions: Iterable[float],
	precision: int,
	rounder: Rounder = round_half_up,
) -> Totals:
	"""Each amount is rounded to the currency precision before it is added up, as on the document."""
	row_amounts = tuple(
		RowAmounts(
			amount=rounder(row.qty * row.rate, precision),
			tax_amount=rounder(row.qty * row.unit_tax, precision),
		)
		for row in rows
	)
	items_total = rounder(sum(r.amount for r in row_amounts), precision)
	taxes_total = rounder(sum(r.tax_amount for r in row_amounts), precision)
	deductions_total = rounder(sum(rounder(d, precision) for d in deductions), precision)
	refund_amount = rounder(items_total + taxes_total - deductions_total, precision)
	return Totals(row_amounts, items_total, taxes_total, deductions_total, refund_amount)


def refundable_amount(billed: float, paid: float, refunded_elsewhere: float) -> float:
	"""What the order can still give back: the larger of billed and paid, less other refunds."""
	return max(0.0, max(billed, paid) - refunded_elsewhere)


def check_amounts(
	totals: Totals,
	deductions: Iterable[float],
	limit: float,
	precision: int,
) -> list[Problem]:
	problems: list[Problem] = []
	for row, amount in enumerate(deductions, start=1):
		if round(amount, precision) < 0:
			problems.append(Problem("deduction_negative", row, {"amount": amount}))
	if round(totals.refund_amount, precision) < 0:
		problems.append(
			Problem(
				"refund_negative",
				values={"refund_amount": totals.refund_amount, "deductions_total": totals.deductions_total},
			)
		)
	elif round(totals.refund_amount - limit, precision) > 0:
		problems.append(
			Problem("refund_over_limit", values={"refund_amount": totals.refund_amount, "limit": limit})
		)
	return problems
