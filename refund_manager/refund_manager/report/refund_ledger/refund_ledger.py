# Copyright (c) 2026, refund_manager developers
# For license information, please see license.txt
"""Refund Ledger: one row per approved refund, its documents, what the GL holds, the difference.

An accountant reconciles a month from this report alone: a request whose postings do not give the
customer exactly its refund (in company currency) is flagged.
"""

import frappe
from frappe import _
from frappe.query_builder import Case
from frappe.query_builder.functions import GroupConcat, Sum
from frappe.utils import flt

from refund_manager.core.ledger import check_refund
from refund_manager.reporting import company_currency, request_conditions

DOCUMENT_COLUMNS = {
	"Delivery Note": "stock_return",
	"Sales Invoice": "credit_note",
	"Payment Entry": "payments",
	"Journal Entry": "journals",
}


# The Desk's report view asks for a report's rows with this method
DESK_VIEW = "frappe.desk.query_report.run"


def execute(filters: dict | None = None):
	"""Columns and rows. For the Desk's report view without Frappe's total row (`skip_total_row`):
	the Desk drops that row unread and totals the rows it shows itself (refund_ledger.js keeps the
	table's total footer), while Frappe builds it by walking every row for every column (0.4 s for
	a year of 67,000 refunds). Exports and e-mailed reports keep Frappe's total row."""
	filters = frappe._dict(filters or {})
	skip_total_row = frappe.form_dict.get("cmd") == DESK_VIEW
	return get_columns(), get_data(filters), None, None, None, skip_total_row


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
	currency = company_currency(filters.company)
	flags = {True: _("OK"), False: _("Does not add up")}
	statuses: dict[str, str] = {}  # translated once per status, not once per row
	rows = []
	for name, posting_date, customer, company, status, expected, *names, money_out, party_net in ledger_query(
		filters
	).run():
		expected = flt(expected)
		check = check_refund(expected, flt(money_out), flt(party_net))
		if status not in statuses:
			statuses[status] = _(status)
		rows.append(
			{
				"refund_request": name,
				"posting_date": posting_date,
				"customer": customer,
				"status": statuses[status],
				**dict(zip(DOCUMENT_COLUMNS.values(), map(document_names, names), strict=True)),
				"expected": expected,
				"money_out": check.money_out,
				"credited": check.credited,
				"given_back": check.given_back,
				"difference": check.difference,
				"flag": flags[check.balanced],
				"company_currency": currency or company_currency(company),
			}
		)
	return rows


def request_filters(rr, filters):
	return request_conditions(rr, filters, rr.docstatus == 1)


def ledger_query(filters):
	"""One row per approved request: its documents of each kind, and what the GL holds for them
	(cash/bank credited by its postings, and the customer's net credit they leave).

	One query (after listing the company's cash and bank accounts): the GL is read once per posting
	through its voucher index, never scanned, and no account row is read for it.
	"""
	rr = frappe.qb.DocType("Refund Request")
	rp = frappe.qb.DocType("Refund Posting")
	gle = frappe.qb.DocType("GL Entry")
	# a company has a handful of cash and bank accounts: naming them beats joining Account to each
	# of the period's GL rows (370,000 look-ups for a year of 67,000 refunds)
	money_accounts = cash_and_bank_accounts(filters.get("company")) or [""]
	money_out = Case().when(gle.account.isin(money_accounts), gle.credit - gle.debit).else_(0)
	party_net = Case().when(gle.party_type == "Customer", gle.credit - gle.debit).else_(0)
	documents = [
		GroupConcat(Case().when(rp.reference_doctype == doctype, rp.reference_name)).distinct().as_(column)
		for doctype, column in DOCUMENT_COLUMNS.items()
	]
	header = (rr.name, rr.posting_date, rr.customer, rr.company, rr.status, rr.base_refund_amount)
	in_gl = (
		(gle.voucher_type == rp.reference_doctype)
		& (gle.voucher_no == rp.reference_name)
		& (gle.is_cancelled == 0)
		# a stock return books stock and cost of goods only: none of it reaches the customer or the bank
		& (rp.reference_doctype != "Delivery Note")
	)
	return (
		frappe.qb.from_(rr)
		.left_join(rp)
		.on((rp.parent == rr.name) & (rp.parenttype == "Refund Request"))
		.left_join(gle)
		.on(in_gl)
		.select(*header, *documents, Sum(money_out).as_("money_out"), Sum(party_net).as_("party_net_credit"))
		.where(request_filters(rr, filters))
		# one group per request (the name is unique), in the order the report shows them
		.groupby(rr.posting_date, rr.name)
		.orderby(rr.posting_date)
		.orderby(rr.name)
	)


def cash_and_bank_accounts(company: str | None) -> list[str]:
	account = frappe.qb.DocType("Account")
	condition = account.account_type.isin(["Bank", "Cash"]) & (account.is_group == 0)
	if company:
		condition &= account.company == company
	# the query builder, not get_all: no permission query, and no Account meta to build after a deploy
	return frappe.qb.from_(account).select(account.name).where(condition).orderby(account.name).run(pluck=True)


def document_names(names: str | None) -> str:
	if not names or "," not in names:  # none, or one document (most refunds): nothing to sort
		return names or ""
	return ", ".join(sorted(names.split(",")))
