"""Refunds on one order from separate database connections at the same time.

Each worker is a thread with its own Frappe context and database connection; the order data is
committed first so that every connection sees it.
"""

import os
import threading

import frappe
import pytest

from refund_manager.refund_manager.doctype.refund_request.refund_request import (
	OverRefundError,
	RefundConflictError,
)
from tests.integration import factories as f
from tests.integration.ledger import customer_balance

pytestmark = pytest.mark.usefixtures("company")


def run_concurrently(*jobs, timeout=120):
	"""Run each job in its own connection, all released at once; return what each returned or raised."""
	site, sites_path = frappe.local.site, frappe.local.sites_path
	barrier = threading.Barrier(len(jobs))
	results: list = [None] * len(jobs)

	def worker(i, job):
		frappe.init(site=site, sites_path=sites_path)
		frappe.connect()
		frappe.flags.in_test = True
		frappe.set_user("Administrator")
		try:
			barrier.wait(timeout=30)
			results[i] = job()
			frappe.db.commit()
		except Exception as e:
			frappe.db.rollback()
			results[i] = e
			if os.environ.get("RM_DEBUG_WORKERS"):
				import traceback

				traceback.print_exc()
		finally:
			frappe.destroy()

	threads = [threading.Thread(target=worker, args=(i, job)) for i, job in enumerate(jobs)]
	for t in threads:
		t.start()
	for t in threads:
		t.join(timeout)
	assert not any(t.is_alive() for t in threads), "a worker hung"
	return results


def committed_paid_order(qty=5, rate=100.0):
	customer = f.make_customer()
	item = f.make_item()
	so = f.make_sales_order(customer, [(item, qty, rate)])
	f.deliver(so.name)
	si = f.bill(so.name)
	f.pay("Sales Invoice", si.name)
	frappe.db.commit()
	return so


def refunded_qty(sales_order: str) -> float:
	rr = frappe.qb.DocType("Refund Request")
	rri = frappe.qb.DocType("Refund Request Item")
	from frappe.query_builder.functions import Sum

	rows = (
		frappe.qb.from_(rri)
		.join(rr)
		.on(rri.parent == rr.name)
		.select(Sum(rri.qty))
		.where((rr.sales_order == sales_order) & (rr.docstatus < 2))
		.run()
	)
	return frappe.utils.flt(rows[0][0])


def test_two_requests_raised_at_once_never_claim_more_than_was_sold():
	so = committed_paid_order(qty=5)

	def raise_request():
		doc = f.refund_request_for(so.name)
		doc.items[0].qty = 3
		doc.insert()
		return doc.name

	results = run_concurrently(raise_request, raise_request)
	frappe.db.rollback()  # our own connection: read what the workers committed
	made = [r for r in results if isinstance(r, str)]
	refused = [r for r in results if isinstance(r, OverRefundError)]
	assert len(made) == 1 and len(refused) == 1, results
	assert refunded_qty(so.name) == 3


def test_the_same_request_approved_twice_at_once_posts_once():
	so = committed_paid_order(qty=2)
	doc = f.refund_request_for(so.name)
	doc.insert()
	f.act(doc, "Submit for Approval")
	frappe.db.commit()

	def approve():
		f.act(frappe.get_doc("Refund Request", doc.name), "Approve")
		return "submitted"

	results = run_concurrently(approve, approve)
	frappe.db.rollback()
	assert results.count("submitted") == 1, results
	assert isinstance(next(r for r in results if r != "submitted"), frappe.ValidationError)
	for doctype in ("Delivery Note", "Sales Invoice", "Payment Entry"):
		assert frappe.db.count(doctype, {"refund_request": doc.name, "docstatus": 1}) == 1
	assert frappe.db.get_value("Refund Request", doc.name, "status") == "Refunded"


def test_two_approvals_on_one_order_post_in_turn_and_refund_exactly_what_was_sold():
	so = committed_paid_order(qty=5)
	names = []
	for qty in (3, 2):
		doc = f.refund_request_for(so.name)
		doc.items[0].qty = qty
		doc.insert()
		names.append(doc.name)
	frappe.db.commit()

	def approve(name):
		def job():
			f.approve(frappe.get_doc("Refund Request", name))
			return name

		return job

	results = run_concurrently(approve(names[0]), approve(names[1]))
	frappe.db.rollback()
	# no deadlock: each either posted or was told to try again (its snapshot predated the other)
	for name, result in zip(names, results):
		assert result == name or isinstance(result, RefundConflictError), results
		if result != name:
			assert "try again" in str(result)
			assert frappe.db.get_value("Refund Request", name, "docstatus") == 0
			f.approve(frappe.get_doc("Refund Request", name))  # the retry posts
	assert frappe.get_all("Refund Request", filters={"name": ("in", names)}, pluck="docstatus") == [1, 1]
	assert frappe.db.get_value("Sales Order Item", so.items[0].name, "delivered_qty") == 0
	dn = frappe.db.get_value("Delivery Note Item", {"so_detail": so.items[0].name, "docstatus": 1}, "parent")
	assert frappe.db.get_value("Delivery Note", dn, "per_returned") == 100
	assert customer_balance(frappe.db.get_value("Sales Order", so.name, "customer")) == 0
