"""Refunds raised and approved from separate processes at the same moment.

Each worker is an operating-system process with its own Frappe and its own database connection
(tests/integration/processes.py), released together at a barrier; the orders are committed first
(unique customers and items, so nothing clashes with other tests). A worker told "try again"
retries, as a user would. Whatever the interleaving, the ledger must show no more refunded than
was sold and paid, and every worker must end with a posted refund or a clear message: never a raw
database error, an unhandled deadlock or a lock wait that escaped.
"""

import os

import frappe
import pytest
from frappe.query_builder.functions import Sum
from frappe.utils import flt

from tests.integration import factories as f
from tests.integration.ledger import customer_balance
from tests.integration.processes import run_in_processes

pytestmark = pytest.mark.usefixtures("company")

WORKERS = 4
CASH = f"Cash - {f.ABBR}"


def run(jobs):
	frappe.db.commit()  # everything the workers need is visible to their connections
	outcomes = run_in_processes(frappe.local.site, frappe.local.sites_path, jobs)
	frappe.db.rollback()  # our own snapshot: read what the workers committed
	unclear = [(o.error_type, o.message, o.trace[-2500:]) for o in outcomes if not o.ok and not o.clear]
	assert not unclear, f"errors a user could not act on: {unclear}"
	return outcomes


def paid_order(qty: float, rate: float = 100.0, lines: int = 1):
	customer = f.make_customer()
	items = [f.make_item() for _ in range(lines)]
	so = f.make_sales_order(customer, [(item, qty, rate) for item in items])
	dn = f.deliver(so.name)
	si = f.bill(so.name)
	f.pay("Sales Invoice", si.name)
	return frappe._dict(customer=customer, so=so, dn=dn, si=si)


def posted_requests(sales_order: str) -> list[str]:
	return frappe.get_all(
		"Refund Request", filters={"sales_order": sales_order, "docstatus": 1}, pluck="name"
	)


def refunded_qty(requests: list[str]) -> float:
	if not requests:
		return 0.0
	rri = frappe.qb.DocType("Refund Request Item")
	return flt(frappe.qb.from_(rri).select(Sum(rri.qty)).where(rri.parent.isin(requests)).run()[0][0])


def ledger_of(order) -> dict:
	"""What the ledger says was given back on this order's invoice and delivery."""
	si = frappe.qb.DocType("Sales Invoice")
	credit_notes = (
		frappe.qb.from_(si)
		.select(Sum(si.grand_total), Sum(si.total_qty))
		.where((si.return_against == order.si.name) & (si.docstatus == 1))
		.run()[0]
	)
	pe = frappe.qb.DocType("Payment Entry")
	gle = frappe.qb.DocType("GL Entry")
	paid_out = (
		frappe.qb.from_(gle)
		.join(pe)
		.on(pe.name == gle.voucher_no)
		.select(Sum(gle.credit) - Sum(gle.debit))
		.where(
			(pe.party == order.customer)
			& (pe.payment_type == "Pay")
			& (gle.account == CASH)
			& (gle.is_cancelled == 0)
		)
		.run()[0][0]
	)
	return {
		"credited": -flt(credit_notes[0]),
		"credited_qty": -flt(credit_notes[1]),
		"paid_out": flt(paid_out),
		"per_returned": flt(frappe.db.get_value("Delivery Note", order.dn.name, "per_returned")),
		"balance": customer_balance(order.customer),
	}


def test_workers_raising_and_approving_on_one_order_never_refund_more_than_was_sold_and_paid():
	order = paid_order(qty=6)  # 600 + 10% tax = 660 billed and paid
	outcomes = run([("raise_and_approve", (order.so.name, 2))] * WORKERS)  # 8 units asked for, 6 sold

	posted = posted_requests(order.so.name)
	assert len(posted) == 3 and refunded_qty(posted) == 6, outcomes
	assert sorted(o.ok for o in outcomes) == [False, True, True, True], outcomes
	[refused] = [o for o in outcomes if not o.ok]
	assert "cannot refund" in refused.message or "at most" in refused.message, refused
	ledger = ledger_of(order)
	assert ledger["credited_qty"] == 6 and ledger["credited"] == 660
	assert ledger["paid_out"] == 660  # never more than was paid
	assert ledger["per_returned"] == 100
	assert ledger["balance"] == 0


def test_workers_approving_pending_requests_of_one_order_at_once_post_each_exactly_once():
	order = paid_order(qty=4)
	names = []
	for _ in range(WORKERS):
		doc = f.refund_request_for(order.so.name)
		doc.items[0].qty = 1
		doc.insert()
		f.act(doc, "Submit for Approval")
		names.append(doc.name)
	outcomes = run([("approve", (name,)) for name in names])

	assert [o.value for o in outcomes] == ["Refunded"] * WORKERS, outcomes
	assert sorted(posted_requests(order.so.name)) == sorted(names)
	for name in names:
		postings = frappe.get_all("Refund Posting", filters={"parent": name}, pluck="reference_doctype")
		assert sorted(postings) == ["Delivery Note", "Payment Entry", "Sales Invoice"], (name, postings)
	ledger = ledger_of(order)
	assert (ledger["credited_qty"], ledger["credited"], ledger["paid_out"]) == (4, 440, 440)
	assert ledger["balance"] == 0


def test_workers_approving_one_request_at_once_post_it_once():
	order = paid_order(qty=2)
	doc = f.refund_request_for(order.so.name)
	doc.insert()
	f.act(doc, "Submit for Approval")
	outcomes = run([("approve_once", (doc.name,))] * WORKERS)

	assert [o.value for o in outcomes if o.ok] == ["Refunded"], outcomes
	# the others were told the request moved on (or, while it was being posted, to try again)
	assert all(not o.ok and o.error_type.startswith("frappe.") for o in outcomes if not o.ok), outcomes
	for doctype in ("Delivery Note", "Sales Invoice", "Payment Entry"):
		assert frappe.db.count(doctype, {"refund_request": doc.name, "docstatus": 1}) == 1
	assert ledger_of(order)["paid_out"] == 220


def test_workers_approving_refunds_of_different_orders_at_once_all_post():
	"""Orders named one after the other share index ranges: locking reads of one order's rows must
	not deadlock with another order's postings (or, if the database finds a deadlock, the worker
	is told to try again)."""
	orders = [paid_order(qty=2) for _ in range(WORKERS)]
	names = []
	for order in orders:
		doc = f.refund_request_for(order.so.name)
		doc.insert()
		f.act(doc, "Submit for Approval")
		names.append(doc.name)
	outcomes = run([("approve", (name,)) for name in names])

	assert [o.value for o in outcomes] == ["Refunded"] * WORKERS, outcomes
	for order in orders:
		ledger = ledger_of(order)
		assert (ledger["credited_qty"], ledger["paid_out"], ledger["balance"]) == (2, 220, 0)
	if os.environ.get("RM_DEBUG_WORKERS"):
		print([(o.attempts, o.conflicts) for o in outcomes])
