"""Refundable quantities of Sales Order lines.

refundable = basis - refunded by other live Refund Requests - returned in ERPNext outside this app
basis      = gross delivered quantity when goods come back, else the ordered quantity

"Returned outside this app" counts stock returns (return Delivery Notes, stock-updating credit
notes) and credit notes not created by a Refund Request. The same unit usually appears in both a
return Delivery Note and its Credit Note, so the larger of the two is taken, not their sum.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from refund_manager.core.problems import Problem


@dataclass(frozen=True)
class OrderLine:
	"""One Sales Order Item as far as refunds are concerned (quantities in the line's UOM)."""

	name: str
	ordered_qty: float
	delivered_qty: float = 0.0  # gross: everything delivered, before any return
	refunded_qty: float = 0.0  # by other live Refund Requests
	stock_returned_outside_qty: float = 0.0
	credited_outside_qty: float = 0.0

	@property
	def returned_outside_qty(self) -> float:
		return max(self.stock_returned_outside_qty, self.credited_outside_qty)


@dataclass(frozen=True)
class RequestedRow:
	row: int
	order_line: str | None
	qty: float


def refundable_qty(line: OrderLine, return_goods: bool) -> float:
	basis = line.delivered_qty if return_goods else line.ordered_qty
	return max(0.0, basis - line.refunded_qty - line.returned_outside_qty)


def check_rows(
	rows: Iterable[RequestedRow],
	lines: Mapping[str, OrderLine],
	return_goods: bool,
	precision: int = 6,
) -> list[Problem]:
	"""Every problem with the requested rows, in row order; an empty list means valid."""
	problems: list[Problem] = []
	requested: dict[str, float] = {}
	seen: dict[str, int] = {}
	rows = list(rows)
	if not rows:
		return [Problem("no_rows")]

	for row in rows:
		if not row.order_line or row.order_line not in lines:
			problems.append(Problem("unknown_line", row.row, {"order_line": row.order_line}))
			continue
		if row.order_line in seen:
			problems.append(Problem("duplicate_line", row.row, {"first_row": seen[row.order_line]}))
			continue
		seen[row.order_line] = row.row
		if round(row.qty, precision) <= 0:
			problems.append(Problem("qty_not_positive", row.row, {"qty": row.qty}))
			continue
		requested[row.order_line] = row.qty
		limit = refundable_qty(lines[row.order_line], return_goods)
		if round(row.qty - limit, precision) > 0:
			problems.append(
				Problem(
					"qty_over_refundable",
					row.row,
					{"qty": row.qty, "limit": round(limit, precision), "return_goods": return_goods},
				)
			)
	return problems
