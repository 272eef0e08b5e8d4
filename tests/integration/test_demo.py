"""The demo command builds refunds in every state, once; the bulk generator for benchmarks.

Runs the demo for a company of its own (rolled back with the test), not the site's demo company.
"""

import frappe
import pytest

from refund_manager import demo

COMPANY = demo.DemoCompany(name="RM Demo Test Company", abbr="RMDTC")
EVERY_STATE = {
	"Draft": 1,
	"Pending Approval": 2,  # one on track, one past its response time
	"Pending Finance Approval": 1,
	"Rejected": 1,
	"Credited": 1,
	"Refunded": 5,  # three with ratings, one auto-approved, one price adjustment
	"Cancelled": 1,
}


def demo_requests() -> dict[str, frappe._dict]:
	rows = frappe.get_all(
		"Refund Request",
		filters={"company": COMPANY.name, "description": ("like", demo.DEMO_MARK + "%")},
		fields=["name", "description", "status", "sla_status", "escalated", "refund_type", "requested_on", "approved_on", "refunded_on", "feedback_rating", "docstatus"],
	)
	return {r.description.removeprefix(demo.DEMO_MARK): r for r in rows}


@pytest.fixture
def demo_made():
	return demo.make_demo(company=COMPANY, commit=False)


def test_make_demo_builds_every_state_once(demo_made):
	assert demo_made == EVERY_STATE
	requests = demo_requests()
	assert requests["pending, past its response time"].sla_status == "Breached"
	assert requests["pending, past its response time"].escalated == 1
	assert frappe.get_all(
		"ToDo", filters={"reference_name": requests["pending, past its response time"].name, "status": "Open"}, pluck="allocated_to"
	) == ["demo.manager@example.com"]
	assert requests["pending"].sla_status == "On Track"
	assert requests["price adjustment"].refund_type == "Price Adjustment"
	assert sum(1 for r in requests.values() if r.feedback_rating) == 4
	for r in requests.values():
		if r.docstatus:  # approved: milestones hours apart, in order
			assert r.requested_on <= r.approved_on
		if r.refunded_on:
			assert r.refunded_on == r.approved_on
	refunded = requests["refunded with a restocking fee"]
	assert frappe.get_all("Refund Posting", filters={"parent": refunded.name}, pluck="reference_doctype", order_by="idx") == [
		"Delivery Note",
		"Sales Invoice",
		"Payment Entry",
	]
	assert requests["approved automatically (small amount)"].requested_on == requests["approved automatically (small amount)"].approved_on

	# again: nothing new
	assert demo.make_demo(company=COMPANY, commit=False) == EVERY_STATE
	assert frappe.db.count("Sales Order", {"company": COMPANY.name}) == len(demo.SCENARIOS)


def test_bulk_requests_for_benchmarks(demo_made):
	from frappe.utils import add_days, nowdate

	from refund_manager.refund_manager.report.refund_analytics.refund_analytics import execute

	assert demo.insert_refund_requests(300, company=COMPANY, days=30, seed=7, chunk_size=120, commit=False) == 300
	bulk = frappe.get_all(
		"Refund Request",
		filters={"name": ("like", demo.BULK_PREFIX + "%")},
		fields=["name", "status", "docstatus", "items_total", "taxes_total", "refund_amount", "requested_on", "approved_on", "refunded_on"],
	)
	assert len(bulk) == 300
	assert {r.status for r in bulk} == {s[0] for s in demo.BULK_STATUSES}
	for r in bulk:
		assert round(r.items_total + r.taxes_total, 2) == r.refund_amount
		assert (r.docstatus > 0) == bool(r.approved_on)
		assert (r.status in ("Refunded", "Cancelled")) == bool(r.refunded_on)
	items = frappe.db.count("Refund Request Item", {"parent": ("like", demo.BULK_PREFIX + "%")})
	assert 300 <= items <= 600

	_columns, data, *_rest = execute(
		{"company": COMPANY.name, "from_date": add_days(nowdate(), -31), "to_date": nowdate(), "group_by": "Month"}
	)
	not_draft = sum(1 for r in bulk if r.status != "Draft")
	demo_out_of_draft = sum(EVERY_STATE.values()) - EVERY_STATE["Draft"]
	assert data[-1]["count"] == not_draft + demo_out_of_draft

	assert demo.remove_bulk_refund_requests(commit=False) == 300
	assert not frappe.db.exists("Refund Request Item", {"parent": ("like", demo.BULK_PREFIX + "%")})
