"""Reports checked against hand-computed figures on a known data set."""

import frappe
import pytest
from frappe.utils import nowdate

from tests.integration import factories as f

pytestmark = pytest.mark.usefixtures("company")


def refund(item_group, qty=1, fee=0.0, deliver=True, bill=True, pay=True, advance=None):
	customer = f.make_customer()
	item = f.make_item(item_group=item_group)
	so = f.make_sales_order(customer, [(item, 5, 100.0)])
	if deliver:
		f.deliver(so.name)
	if bill:
		si = f.bill(so.name)
		if pay:
			f.pay("Sales Invoice", si.name)
	if advance:
		f.pay("Sales Order", so.name, amount=advance)
	doc = f.refund_request_for(so.name, reason="Wrong Item")
	doc.items[0].qty = qty
	if fee:
		doc.append("deductions", {"description": "Fee", "account": f"Miscellaneous Expenses - {f.ABBR}", "amount": fee})
	doc.insert()
	f.approve(doc)
	return doc


def test_refund_ledger_matches_the_gl_and_flags_a_refund_that_does_not_add_up():
	from refund_manager.refund_manager.report.refund_ledger.refund_ledger import execute

	group = f.unique("RM Ledger Group")
	paid = refund(group, qty=2, fee=10)  # 220 - 10, paid out
	credited = refund(group, pay=False)  # 110 off what is owed
	advance = refund(group, deliver=False, bill=False, advance=300, fee=5)  # 110 - 5 paid back
	broken = refund(group)  # 110, then its payment and credit note are cancelled by hand
	for doctype in ("Payment Entry", "Sales Invoice"):
		posted = frappe.get_doc(doctype, next(p.reference_name for p in broken.postings if p.reference_doctype == doctype))
		posted.flags.ignore_links = True
		posted.flags.ignore_linked_doctypes = ("Refund Request",)
		posted.cancel()

	columns, data, *_ = execute({"company": f.COMPANY, "from_date": nowdate(), "to_date": nowdate(), "item_group": group})
	rows = {r["refund_request"]: r for r in data}
	assert set(rows) == {paid.name, credited.name, advance.name, broken.name}
	figures = {
		name: (r["expected"], r["money_out"], r["credited"], r["given_back"], r["difference"], r["flag"])
		for name, r in rows.items()
	}
	assert figures[paid.name] == (210, 210, 0, 210, 0, "OK")
	assert figures[credited.name] == (110, 0, 110, 110, 0, "OK")
	assert figures[advance.name] == (105, 105, 0, 105, 0, "OK")
	assert figures[broken.name] == (110, 0, 0, 0, 110, "Does not add up")
	assert rows[paid.name]["payments"] == next(p.reference_name for p in paid.postings if p.reference_doctype == "Payment Entry")
	assert rows[advance.name]["journals"] and not rows[advance.name]["credit_note"]
	assert {c["fieldname"] for c in columns} >= {"stock_return", "credit_note", "payments", "journals", "difference"}


def test_refund_ledger_filters_by_customer_and_reason():
	from refund_manager.refund_manager.report.refund_ledger.refund_ledger import execute

	group = f.unique("RM Ledger Group")
	first, second = refund(group), refund(group)
	_, data, *_ = execute({"company": f.COMPANY, "item_group": group, "customer": second.customer})
	assert [r["refund_request"] for r in data] == [second.name]
	_, data, *_ = execute({"company": f.COMPANY, "item_group": group, "refund_reason": "Damaged"})
	assert data == []
	assert first.name


def test_refund_ledger_sends_the_desk_its_rows_without_a_server_total_row_and_exports_with_one():
	"""The Desk's report view totals the rows it shows (refund_ledger.js keeps the footer): Frappe's
	own total row, a walk over every cell, is built only for exports and e-mailed reports."""
	from frappe.desk.query_report import run

	from refund_manager.refund_manager.report.refund_ledger.refund_ledger import DESK_VIEW

	group = f.unique("RM Ledger Group")
	first, second = refund(group, qty=2, fee=10), refund(group)
	filters = {"company": f.COMPANY, "item_group": group}
	frappe.form_dict.cmd = DESK_VIEW  # as the Desk's request for the report's rows
	try:
		desk = run("Refund Ledger", filters=filters)
	finally:
		frappe.form_dict.pop("cmd", None)
	given_back = {r["refund_request"]: r["given_back"] for r in desk["result"]}
	assert len(desk["result"]) == 2 and given_back == {first.name: 210, second.name: 110}
	assert not desk["add_total_row"]

	export = run("Refund Ledger", filters=filters)  # export_query runs the report the same way
	assert export["add_total_row"] and len(export["result"]) == 3
	total = dict(zip([c["fieldname"] for c in export["columns"]], export["result"][-1], strict=True))
	assert total["refund_request"] == "Total" and total["given_back"] == 320


def test_workspace_number_cards_and_charts_compute_on_the_site():
	from frappe.desk.doctype.dashboard_chart.dashboard_chart import get as chart_data
	from frappe.desk.doctype.number_card.number_card import get_result

	group = f.unique("RM Ledger Group")
	refund(group, qty=2, fee=10)  # a refund this month: 210
	workspace = frappe.get_doc("Workspace", "Refunds")
	assert {s.link_to for s in workspace.shortcuts} >= {"Refund Request", "Refund Ledger", "Refund Settings"}

	card = frappe.get_doc("Number Card", "Refunded This Month")
	assert get_result(card, frappe.as_json([["Refund Request", "company", "=", f.COMPANY]])) >= 210
	for name in ("Refunds by Reason", "Refund Requests by Status", "Refunded Amount per Month"):
		data = chart_data(chart_name=name, refresh=1, filters=[["Refund Request", "company", "=", f.COMPANY]])
		assert data["datasets"][0]["values"], name
	by_status = chart_data(chart_name="Refund Requests by Status", refresh=1, filters=[["Refund Request", "company", "=", f.COMPANY]])
	assert "Refunded" in by_status["labels"]
