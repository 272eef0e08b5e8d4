"""The milestones the reports measure: requested_on, approved_on, refunded_on (clock frozen)."""

import frappe
import pytest

from refund_manager import approval
from refund_manager.core.routing import AUTO_APPROVE, TWO_LEVELS
from tests.integration import factories as f
from tests.integration.test_approval_sla import T0, as_user_at, at, hours
from tests.integration.test_approval_workflow import paid_order, raise_request

pytestmark = pytest.mark.usefixtures("company")


def milestones(doc) -> tuple:
	doc.reload()
	return doc.requested_on, doc.approved_on, doc.refunded_on


def test_two_levels_with_a_rejection_and_an_appeal():
	f.set_approval_rules({"rule_name": "Big", "outcome": TWO_LEVELS})
	sales_user = f.make_user("Sales User")
	approver = f.make_user("Refund Approver")
	manager = f.make_user("Refund Manager")
	doc = raise_request(paid_order(), sales_user)
	assert milestones(doc) == (None, None, None)

	as_user_at(T0, sales_user, doc, "Submit for Approval")
	assert milestones(doc) == (T0, None, None)

	frappe.set_user(approver)
	with f.frozen_at(hours(5)):
		f.reject(doc, "Photo please")
	frappe.set_user(sales_user)
	with f.frozen_at(hours(6)):
		f.comment(doc, "Photo sent by mail")
	as_user_at(hours(7), sales_user, doc, "Appeal")
	assert milestones(doc) == (T0, None, None)  # the request is as old as its first submission

	as_user_at(hours(10), approver, doc, "Approve")
	assert (doc.status, milestones(doc)) == ("Pending Finance Approval", (T0, None, None))
	as_user_at(hours(12.5), manager, doc, "Approve")
	assert (doc.status, milestones(doc)) == ("Refunded", (T0, hours(12.5), hours(12.5)))


def test_auto_approved_request_is_requested_approved_and_refunded_at_once():
	f.set_approval_rules({"rule_name": "Small", "outcome": AUTO_APPROVE})
	doc = raise_request(paid_order())
	at(T0, f.act, doc, "Submit for Approval")
	assert (doc.status, milestones(doc)) == ("Refunded", (T0, T0, T0))


def test_a_credited_request_is_approved_but_not_refunded():
	customer, item = f.make_customer(), f.make_item()
	so = f.make_sales_order(customer, [(item, 2, 100.0)])
	f.bill(so.name)  # invoiced, not paid: the refund lowers what is owed
	doc = raise_request(so)
	at(T0, f.act, doc, "Submit for Approval")
	at(hours(3), f.act, doc, "Approve")
	assert (doc.status, milestones(doc)) == ("Credited", (T0, hours(3), None))


def test_values_sent_by_a_client_are_ignored():
	doc = f.refund_request_for(paid_order().name)
	doc.requested_on = doc.approved_on = doc.refunded_on = T0
	doc.insert()
	assert milestones(doc) == (None, None, None)

	at(hours(1), f.act, doc, "Submit for Approval")
	doc.approved_on = doc.requested_on = hours(-100)
	doc.save()
	assert milestones(doc) == (hours(1), None, None)


def test_without_an_active_workflow_submitting_is_requesting_and_approving():
	frappe.db.set_value("Workflow", approval.WORKFLOW, "is_active", 0)
	frappe.cache.hdel("workflow", approval.DOCTYPE)
	try:
		doc = raise_request(paid_order())
		with f.frozen_at(T0):
			doc.submit()
		assert (doc.status, milestones(doc)) == ("Refunded", (T0, T0, T0))
	finally:
		frappe.db.set_value("Workflow", approval.WORKFLOW, "is_active", 1)
		frappe.cache.hdel("workflow", approval.DOCTYPE)
