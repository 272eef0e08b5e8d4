"""Ledger facts the integration tests assert: GL per voucher, a customer's balance, stock moves."""

import frappe
from frappe.query_builder.functions import Sum
from frappe.utils import flt


def gl(voucher_no: str) -> dict[str, float]:
	"""Net debit (credit negative) per account of one voucher, cancelled entries left out."""
	gle = frappe.qb.DocType("GL Entry")
	rows = (
		frappe.qb.from_(gle)
		.select(gle.account, (Sum(gle.debit) - Sum(gle.credit)).as_("net"))
		.where((gle.voucher_no == voucher_no) & (gle.is_cancelled == 0))
		.groupby(gle.account)
		.run(as_dict=True)
	)
	return {r.account: flt(r.net, 2) for r in rows if flt(r.net, 2)}


def customer_balance(customer: str) -> float:
	gle = frappe.qb.DocType("GL Entry")
	rows = (
		frappe.qb.from_(gle)
		.select(Sum(gle.debit) - Sum(gle.credit))
		.where((gle.party_type == "Customer") & (gle.party == customer) & (gle.is_cancelled == 0))
		.run()
	)
	return flt(rows[0][0], 2)


def stock_moves(voucher_no: str) -> list[tuple[str, float]]:
	return [
		(r.warehouse, flt(r.actual_qty))
		for r in frappe.get_all(
			"Stock Ledger Entry",
			filters={"voucher_no": voucher_no, "is_cancelled": 0},
			fields=["warehouse", "actual_qty"],
		)
	]
