# Copyright (c) 2026, refund_manager developers
# For license information, please see license.txt
"""Refund Ledger: one row per approved refund, its documents, what the GL holds, the difference.

An accountant reconciles a month from this report alone: a request whose postings do not give the
customer exactly its refund (in company currency) is flagged.
"""

import frappe
from frappe import _
from frappe.query_builder import Case
from frappe.query_builder.functions import Sum
from frappe.utils import flt

from refund_manager.core.ledger import check_refund
from refund_manager.reporting import company_currency, request_conditions

DOCUMENT_COLUMNS = {
	"Delivery Note": "stock_return",
	"Sales Invoice": "credit_note",
	"Payment Entry": "payments",
	"Journal Entry": "journals",
}


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	return get_columns(), get_data(filters)


def get_columns() -> list[dict]:
	currency = {"fieldtype": "Currency", "options": "company_currency", "width": 120}
	return [
		{"fieldname": "refund_request", "label": _("Refund Request"), "fieldtype": "Link", "options": "Refund Request", "width": 150},
		{"fieldname": "posting_date", "label": _("Date"), "fieldtype": "Date", "width": 95},
		{"fieldname": "customer", "label": _("Customer"), "fieldtype": "Link", "options": "Customer", "width": 160},
		{"fieldname": "status", "label": _("Status"), "fieldtype": "Data", "width": 90},
		{"fieldname": "stock_return", "label": _("Stock Return"), "fieldtype": "Data", "width": 150},
		{"fieldname": "credit_note", "label": _("Credit Note"), "fieldtype": "Data", "width": 150},
		{"fieldname": "payments", "label": _("Payments"), "fieldtype": "Data", "width": 150},
		{"fieldname": "journals", "label": _("Journal Entries"), "fieldtype": "Data", "width": 150},
		{"fieldname": "expected", "label": _("Refund (Request)"), **currency},
		{"fieldname": "money_out", "label": _("Money Out (GL)"), **currency},
		{"fieldname": "credited", "label": _("Credited (GL)"), **currency},
		{"fieldname": "given_back", "label": _("Given Back (GL)"), **currency},
		{"fieldname": "difference", "label": _("Difference"), **currency},
		{"fieldname": "flag", "label": _("Check"), "fieldtype": "Data", "width": 110},
		{"fieldname": "company_currency", "label": _("Currency"), "fieldtype": "Link", "options": "Currency", "hidden": 1},
	]


def get_data(filters) -> list[dict]:
	requests = get_requests(filters)
	if not requests:
		return []
	names = [r.name for r in requests]
	gl = gl_by_request(filters)
	documents = documents_by_request(names)
	currency = company_currency(filters.company)
	rows = []
	for r in requests:
		totals = gl.get(r.name, frappe._dict(money_out=0.0, party_net_credit=0.0))
		check = check_refund(flt(r.base_refund_amount), flt(totals.money_out), flt(totals.party_net_credit))
		rows.append(
			{
				"refund_request": r.name,
				"posting_date": r.posting_date,
				"customer": r.customer,
				"status": _(r.status),
				**{column: ", ".join(documents.get((r.name, doctype), [])) for doctype, column in DOCUMENT_COLUMNS.items()},
				"expected": flt(r.base_refund_amount),
				"money_out": check.money_out,
				"credited": check.credited,
				"given_back": check.given_back,
				"difference": check.difference,
				"flag": _("OK") if check.balanced else _("Does not add up"),
				"company_currency": currency or company_currency(r.company),
			}
		)
	return rows


def request_filters(rr, filters):
	return request_conditions(rr, filters, rr.docstatus == 1)


def get_requests(filters):
	rr = frappe.qb.DocType("Refund Request")
	return (
		frappe.qb.from_(rr)
		.select(rr.name, rr.posting_date, rr.customer, rr.company, rr.status, rr.base_refund_amount)
		.where(request_filters(rr, filters))
		.orderby(rr.posting_date)
		.orderby(rr.name)
		.run(as_dict=True)
	)


def gl_by_request(filters) -> dict[str, frappe._dict]:
	"""Per request: cash/bank credited by its postings, and the customer's net credit they leave."""
	rr = frappe.qb.DocType("Refund Request")
	rp = frappe.qb.DocType("Refund Posting")
	gle = frappe.qb.DocType("GL Entry")
	account = frappe.qb.DocType("Account")
	money_out = Case().when(account.account_type.isin(["Bank", "Cash"]), gle.credit - gle.debit).else_(0)
	party_net = Case().when(gle.party_type == "Customer", gle.credit - gle.debit).else_(0)
	rows = (
		frappe.qb.from_(rr)
		.join(rp)
		.on((rp.parent == rr.name) & (rp.parenttype == "Refund Request"))
		.join(gle)
		.on((gle.voucher_type == rp.reference_doctype) & (gle.voucher_no == rp.reference_name))
		.join(account)
		.on(account.name == gle.account)
		.select(rr.name, Sum(money_out).as_("money_out"), Sum(party_net).as_("party_net_credit"))
		.where(request_filters(rr, filters) & (gle.is_cancelled == 0))
		.groupby(rr.name)
		.run(as_dict=True)
	)
	return {r.name: r for r in rows}


def documents_by_request(names: list[str]) -> dict[tuple[str, str], list[str]]:
	rp = frappe.qb.DocType("Refund Posting")
	documents: dict[tuple[str, str], list[str]] = {}
	for chunk_start in range(0, len(names), 1000):
		rows = (
			frappe.qb.from_(rp)
			.select(rp.parent, rp.reference_doctype, rp.reference_name)
			.where((rp.parenttype == "Refund Request") & rp.parent.isin(names[chunk_start : chunk_start + 1000]))
			.orderby(rp.idx)
			.run(as_dict=True)
		)
		for r in rows:
			documents.setdefault((r.parent, r.reference_doctype), []).append(r.reference_name)
	return documents
