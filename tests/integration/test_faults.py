"""Faults while a refund posts: an error at each step, and a worker killed in the middle of a bulk approval.

The error is injected through `posting.BUILDERS`, the table of our own step builders (the real
builder runs, then the error is raised; or the error is raised instead of the step): no part of
Frappe or ERPNext is replaced. Whatever the step and whatever the error, nothing may stay behind:
no document, no ledger row, no stock move, and the request exactly as it was (still pending,
approvable again once the cause is gone).
"""

import os
import signal
import time

import frappe
import pytest
from frappe.utils import flt

from refund_manager import posting
from refund_manager.core.ledger import check_refund
from refund_manager.core.posting_plan import Step
from tests.integration import factories as f
from tests.integration.ledger import customer_balance
from tests.integration.processes import start_process

pytestmark = pytest.mark.usefixtures("company")

# tables any step of a posting writes to (documents, their ledgers, stock and what ERPNext derives)
WRITTEN_TABLES = (
	"Delivery Note",
	"Delivery Note Item",
	"Sales Invoice",
	"Sales Invoice Item",
	"Payment Entry",
	"Payment Entry Reference",
	"Journal Entry",
	"Journal Entry Account",
	"GL Entry",
	"Payment Ledger Entry",
	"Stock Ledger Entry",
	"Serial and Batch Bundle",
	"Refund Posting",
	"Comment",
	"Version",
)


class InjectedFault(Exception):
	"""Raised by the test where a posting step is cut short."""


def sold(qty=5, rate=100.0, pay_amount=None):
	customer = f.make_customer()
	item = f.make_item(valuation_rate=40)
	so = f.make_sales_order(customer, [(item, qty, rate)])
	dn = f.deliver(so.name)
	si = f.bill(so.name)
	f.pay("Sales Invoice", si.name, amount=pay_amount)
	return frappe._dict(customer=customer, item=item, so=so, dn=dn, si=si)


def pending_request(so, qty=2, fee=0.0):
	doc = f.refund_request_for(so.name, reason="Wrong Item")
	doc.items[0].qty = qty
	if fee:
		doc.append(
			"deductions",
			{"description": "Restocking fee", "account": f"Miscellaneous Expenses - {f.ABBR}", "amount": fee},
		)
	doc.insert()
	return f.act(doc, "Submit for Approval")


def snapshot(o, request: str) -> dict:
	"""Everything a half-made refund could have touched."""
	return {
		"rows": {table: frappe.db.count(table) for table in WRITTEN_TABLES},
		"request": frappe.db.get_value("Refund Request", request, "*", as_dict=True),
		"request_items": frappe.get_all(
			"Refund Request Item", filters={"parent": request}, fields=["*"], order_by="idx"
		),
		"documents": [
			(doctype, name)
			for doctype in posting.POSTED_DOCTYPES
			for name in frappe.get_all(doctype, filters={"refund_request": request}, pluck="name")
		],
		"stock": frappe.get_all(
			"Bin", filters={"item_code": o.item}, fields=["warehouse", "actual_qty"], order_by="warehouse"
		),
		"order_lines": frappe.get_all(
			"Sales Order Item",
			filters={"parent": o.so.name},
			fields=["delivered_qty", "returned_qty", "billed_amt"],
		),
		"delivery": frappe.db.get_value("Delivery Note", o.dn.name, ["per_returned", "status"]),
		"invoice": frappe.db.get_value("Sales Invoice", o.si.name, ["outstanding_amount", "status"]),
		"balance": customer_balance(o.customer),
	}


def inject(monkeypatch, step: Step, when: str, error: Exception) -> list:
	"""The step's builder raises `error` before or after doing its work; the list records the
	documents it had posted when the fault struck (so the test knows the step really ran)."""
	real = posting.BUILDERS[step]
	struck = []

	def faulty(doc, plan, ctx):
		if when == "after":
			real(doc, plan, ctx)
		struck.append([(p.reference_doctype, p.reference_name) for p in doc.postings])
		raise error

	monkeypatch.setitem(posting.BUILDERS, step, faulty)
	return struck


# documents already made when the fault strikes: paid = return DN, credit note, payment;
# partly paid = return DN, credit note, journal settling what is owed, payment
POSTED_BEFORE = {
	("paid", Step.STOCK_RETURN, "after"): 1,
	("paid", Step.CREDIT_NOTE, "after"): 2,
	("paid", Step.PAYMENT, "before"): 2,
	("paid", Step.PAYMENT, "after"): 3,
	("partly paid", Step.RECONCILE, "after"): 3,
}
FAULTS = [
	pytest.param("paid", Step.STOCK_RETURN, "after", id="after the stock return"),
	pytest.param("paid", Step.CREDIT_NOTE, "after", id="after the credit note"),
	pytest.param("paid", Step.PAYMENT, "before", id="before the payment"),
	pytest.param("paid", Step.PAYMENT, "after", id="after the payment"),
	pytest.param("partly paid", Step.RECONCILE, "after", id="after the journal settling what is owed"),
]


@pytest.mark.parametrize("error", ["validation", "unexpected"])
@pytest.mark.parametrize("case,step,when", FAULTS)
def test_a_fault_at_any_posting_step_leaves_nothing_behind(monkeypatch, case, step, when, error):
	o = sold(pay_amount=450 if case == "partly paid" else None)  # 550 billed
	doc = pending_request(o.so, qty=2, fee=10)
	before = snapshot(o, doc.name)
	assert before["documents"] == [] and before["request"].workflow_state == "Pending Approval"

	fault = (
		frappe.ValidationError("the bank refused the transfer")
		if error == "validation"
		else InjectedFault("power cut")
	)
	struck = inject(monkeypatch, step, when, fault)
	expected = frappe.ValidationError if error == "validation" else posting.RefundPostingError
	with pytest.raises(expected) as raised:
		f.approve(doc)
	[made_before_the_fault] = struck  # the fault struck once, with these documents already posted
	assert len(made_before_the_fault) == POSTED_BEFORE[(case, step, when)]
	if error == "unexpected":
		assert "could not be posted and nothing was written" in str(raised.value)

	assert snapshot(o, doc.name) == before

	monkeypatch.undo()  # the cause is gone: the same request posts in full
	doc = f.approve(frappe.get_doc("Refund Request", doc.name))
	assert doc.status == "Refunded" and ledger_check(doc.name).balanced


# ---------------------------------------------------------------- a worker killed mid-bulk-approval

BULK = 10


def test_a_worker_killed_during_bulk_approval_leaves_each_request_fully_posted_or_untouched():
	approver = f.make_user("Refund Approver")
	orders, names = [], []
	for _ in range(BULK):
		o = sold(qty=2)
		doc = pending_request(o.so, qty=1)
		orders.append(o)
		names.append(doc.name)
	frappe.db.commit()  # the worker's own connection must see them

	# the body of the background job Frappe's bulk Approve enqueues, in a process of its own
	worker = start_process(frappe.local.site, frappe.local.sites_path, "bulk_approve", (names, approver))
	deadline = time.monotonic() + 240
	while time.monotonic() < deadline:
		frappe.db.rollback()  # a fresh snapshot of what the worker committed
		if frappe.db.count("Refund Request", {"name": ("in", names), "docstatus": 1}) >= 3:
			break
		assert worker.is_alive(), "the bulk approval ended before it could be killed"
		time.sleep(0.05)
	os.kill(worker.pid, signal.SIGKILL)  # in the middle of the next refund's posting, most likely
	worker.join(30)
	time.sleep(1)  # the server rolls back the dead connection's transaction
	frappe.db.rollback()

	posted = untouched = 0
	for o, name in zip(orders, names, strict=True):
		request = frappe.db.get_value(
			"Refund Request", name, ["docstatus", "status", "workflow_state"], as_dict=True
		)
		documents = {
			doctype: frappe.get_all(doctype, filters={"refund_request": name}, fields=["name", "docstatus"])
			for doctype in posting.POSTED_DOCTYPES
		}
		if request.docstatus == 1:
			posted += 1
			assert (request.status, request.workflow_state) == ("Refunded", "Approved")
			assert {dt: [d.docstatus for d in docs] for dt, docs in documents.items()} == {
				"Delivery Note": [1],
				"Sales Invoice": [1],
				"Payment Entry": [1],
				"Journal Entry": [],
			}, name
			rows = frappe.get_all("Refund Posting", filters={"parent": name}, pluck="reference_name")
			assert sorted(rows) == sorted(d.name for docs in documents.values() for d in docs)
			assert ledger_check(name).balanced, name
			assert frappe.db.get_value("Delivery Note", o.dn.name, "per_returned") == 50
		else:
			untouched += 1
			assert (request.docstatus, request.status, request.workflow_state) == (
				0,
				"Pending Approval",
				"Pending Approval",
			)
			assert not any(documents.values()), (name, documents)
			assert not frappe.db.exists("Refund Posting", {"parent": name})
			assert frappe.db.get_value("Delivery Note", o.dn.name, "per_returned") == 0
			assert frappe.db.get_value("Sales Invoice", o.si.name, "outstanding_amount") == 0
		assert customer_balance(o.customer) == 0  # refunded in full, or nothing moved
	assert posted >= 3 and untouched >= 1, (posted, untouched)

	# nothing half-done blocks the rest: approving them again posts each one
	for name in names:
		if frappe.db.get_value("Refund Request", name, "docstatus") == 0:
			assert f.approve(frappe.get_doc("Refund Request", name)).status == "Refunded"
	frappe.db.commit()


def ledger_check(request: str):
	"""What the GL holds for one request's postings against its refund amount (as Refund Ledger checks)."""
	gle = frappe.qb.DocType("GL Entry")
	account = frappe.qb.DocType("Account")
	rp = frappe.qb.DocType("Refund Posting")
	rows = (
		frappe.qb.from_(gle)
		.join(rp)
		.on((rp.reference_doctype == gle.voucher_type) & (rp.reference_name == gle.voucher_no))
		.join(account)
		.on(account.name == gle.account)
		.select(account.account_type, gle.party_type, gle.debit, gle.credit)
		.where((rp.parent == request) & (gle.is_cancelled == 0))
		.run(as_dict=True)
	)
	money_out = sum(flt(r.credit) - flt(r.debit) for r in rows if r.account_type in ("Bank", "Cash"))
	party_net = sum(flt(r.credit) - flt(r.debit) for r in rows if r.party_type == "Customer")
	expected = flt(frappe.db.get_value("Refund Request", request, "base_refund_amount"))
	return check_refund(expected, money_out, party_net)
