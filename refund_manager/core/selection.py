"""The lines and quantities a customer picks on the portal's "raise a refund" form (pure).

The form sends `{sales_order_item: qty}`; a quantity of 0 (or empty) means the line is not chosen.
Every chosen line must be a refundable line of the order and at most its refundable quantity.
The Refund Request's own validation checks the same limits again under the order lock; this
check answers the form early, with a message per line, before anything is written.
"""

import math
from collections.abc import Mapping

from refund_manager.core.problems import Problem


def parse_qty(value) -> float | None:
	"""A finite number from the form, or None when it is not one ("", "abc", NaN, inf, True)."""
	if value is None or isinstance(value, bool):
		return None
	if isinstance(value, str):
		value = value.strip()
		if not value:
			return 0.0
	try:
		qty = float(value)
	except (TypeError, ValueError, OverflowError):
		return None
	return qty if math.isfinite(qty) else None


def choose_lines(
	requested: Mapping[str, object], refundable: Mapping[str, float], precision: int = 6
) -> tuple[dict[str, float], list[Problem]]:
	"""The chosen `{line: qty}` (in the order of `refundable`) and every problem found.

	`refundable` is `{sales_order_item: refundable quantity}` for the lines of the order.
	"""
	chosen: dict[str, float] = {}
	problems: list[Problem] = []
	for line, raw in requested.items():
		qty = parse_qty(raw)
		if line not in refundable:
			if qty != 0:
				problems.append(Problem("unknown_line", values={"line": line}))
			continue
		if qty is None:
			problems.append(Problem("qty_not_a_number", values={"line": line, "qty": raw}))
		elif round(qty, precision) < 0:
			problems.append(Problem("qty_not_positive", values={"line": line, "qty": qty}))
		elif round(qty, precision) == 0:
			continue
		elif round(qty - refundable[line], precision) > 0:
			problems.append(
				Problem(
					"qty_over_refundable",
					values={"line": line, "qty": qty, "limit": round(refundable[line], precision)},
				)
			)
		else:
			chosen[line] = qty
	if not chosen and not problems:
		problems.append(Problem("no_rows"))
	ordered = {line: chosen[line] for line in refundable if line in chosen}
	return ordered, problems
