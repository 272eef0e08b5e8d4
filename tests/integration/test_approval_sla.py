"""Response time of pending Refund Requests and the hourly escalation, with the clock frozen.

Due time per approval level, On Track / Due Soon / Breached, the clock stopped while a rejected
request waits on the customer, escalation (ToDo, mark, timeline, e-mail) exactly once.
"""

from datetime import datetime, timedelta

import frappe
import pytest

from frappe.desk.doctype.notification_settings.notification_settings import create_notification_settings

from refund_manager.approval import escalate_breached_requests, escalation_users
from refund_manager.core.routing import TWO_LEVELS
from tests.integration import factories as f
from tests.integration.test_approval_workflow import paid_order, raise_request, timeline

pytestmark = pytest.mark.usefixtures("company")

# in the future of every document the test builds first, inside a fiscal year the test company has
# (approval posts documents dated then); not on a whole second (Frappe compares `modified` as text,
# and a frozen whole second reads back without its ".000000")
T0 = datetime(datetime.now().year + 1, 3, 3, 9, 0, 0, 250000)


def hours(n: float) -> datetime:
	return T0 + timedelta(hours=n)


def at(moment, fn, *args):
	with f.frozen_at(moment):
		return fn(*args)


def as_user_at(moment, user, doc, action):
	frappe.set_user(user)
	try:
		return at(moment, f.act, doc, action)
	finally:
		frappe.set_user("Administrator")


@pytest.fixture
def no_assignment_emails_sent_at_once():
	"""While testing, Frappe sends an assignment's e-mail at once and commits the transaction, which
	would keep this test's data on the site. The escalation users opt out of assignment e-mails in
	their own Notification Settings (rolled back with the test); the bell notification remains."""

	def opt_out():
		for user in escalation_users():
			create_notification_settings(user)
			frappe.db.set_value("Notification Settings", user, "enable_email_assignment", 0)

	return opt_out


def users_in(doctype: str, user_field: str, **filters) -> set[str]:
	return set(frappe.get_all(doctype, filters=filters, pluck=user_field))


def notified(doc) -> set[str]:
	"""Users Frappe notified (bell) of an assignment of `doc`."""
	return users_in("Notification Log", "for_user", document_type=doc.doctype, document_name=doc.name, type="Assignment")


def open_todos(doc) -> set[str]:
	return users_in("ToDo", "allocated_to", reference_type=doc.doctype, reference_name=doc.name, status="Open")


def test_escalation_job_runs_hourly():
	assert "refund_manager.approval.escalate_breached_requests" in frappe.get_hooks("scheduler_events")["hourly"]


def test_due_time_status_and_a_single_escalation(no_assignment_emails_sent_at_once):
	f.set_approval_rules(response_hours=24, due_soon_hours=4, escalation_role="Refund Manager")
	sales_user = f.make_user("Sales User")
	approver = f.make_user("Refund Approver")
	managers = {f.make_user("Refund Manager"), f.make_user("Refund Manager")}
	retired = f.make_user("Refund Manager")
	frappe.db.set_value("User", retired, "enabled", 0)
	no_assignment_emails_sent_at_once()

	doc = raise_request(paid_order(), sales_user)
	as_user_at(T0, sales_user, doc, "Submit for Approval")
	assert (doc.sla_due_by, doc.sla_status, doc.escalated) == (hours(24), "On Track", 0)

	at(hours(19), escalate_breached_requests)
	doc.reload()
	assert doc.sla_status == "On Track"
	at(hours(20), escalate_breached_requests)
	doc.reload()
	assert (doc.sla_status, doc.escalated) == ("Due Soon", 0)
	assert open_todos(doc) == set()

	at(hours(24), escalate_breached_requests)  # breached the moment it is due
	doc.reload()
	assert (doc.sla_status, doc.escalated) == ("Breached", 1)
	assigned = open_todos(doc)
	assert assigned >= managers and retired not in assigned and approver not in assigned
	assert any("escalated to" in c for c in timeline(doc))
	assert notified(doc) == assigned
	(todo,) = frappe.get_all("ToDo", filters={"reference_name": doc.name, "allocated_to": sorted(managers)[0]}, fields=["description", "priority"])
	assert todo.priority == "High" and "was due for a decision" in todo.description

	at(hours(30), escalate_breached_requests)  # once only
	assert open_todos(doc) == assigned
	assert frappe.db.count("ToDo", {"reference_name": doc.name}) == len(assigned)
	assert frappe.db.count("Notification Log", {"document_name": doc.name, "type": "Assignment"}) == len(assigned)

	# decided: no longer timed, the escalation's to-dos are done
	as_user_at(hours(31), approver, doc, "Approve")
	assert (doc.status, doc.sla_status) == ("Refunded", None)  # approved, and posted
	assert open_todos(doc) == set()


def test_escalation_goes_to_the_role_set_in_refund_settings(no_assignment_emails_sent_at_once):
	f.set_approval_rules(escalation_role="Accounts Manager")
	accounts_manager = f.make_user("Accounts Manager")
	refund_manager = f.make_user("Refund Manager")
	no_assignment_emails_sent_at_once()
	doc = raise_request(paid_order())
	at(T0, f.act, doc, "Submit for Approval")
	at(hours(25), escalate_breached_requests)
	assert accounts_manager in open_todos(doc)
	assert refund_manager not in open_todos(doc)


def test_each_approval_level_gets_its_own_response_time(no_assignment_emails_sent_at_once):
	f.set_approval_rules({"rule_name": "Big", "outcome": TWO_LEVELS}, response_hours=8)
	approver = f.make_user("Refund Approver")
	no_assignment_emails_sent_at_once()
	doc = raise_request(paid_order())
	at(T0, f.act, doc, "Submit for Approval")
	assert doc.sla_due_by == hours(8)
	at(hours(9), escalate_breached_requests)
	doc.reload()
	assert doc.escalated == 1

	as_user_at(hours(10), approver, doc, "Approve")
	assert (doc.status, doc.sla_due_by, doc.sla_status, doc.escalated) == (
		"Pending Finance Approval",
		hours(18),
		"On Track",
		0,
	)
	assert open_todos(doc) == set()  # the first level's escalation is over


def test_the_clock_stops_while_a_rejected_request_waits_on_the_customer(no_assignment_emails_sent_at_once):
	f.set_approval_rules(response_hours=24, due_soon_hours=4)
	sales_user = f.make_user("Sales User")
	approver = f.make_user("Refund Approver")
	no_assignment_emails_sent_at_once()
	doc = raise_request(paid_order(), sales_user)
	as_user_at(T0, sales_user, doc, "Submit for Approval")

	frappe.set_user(approver)
	with f.frozen_at(hours(10)):  # 14 hours left
		f.reject(doc, "Send a photo of the damage")
	frappe.set_user("Administrator")
	assert (doc.sla_status, doc.rejected_on) == ("Paused", hours(10))

	at(hours(60), escalate_breached_requests)  # long past the old due time, but waiting on the customer
	doc.reload()
	assert (doc.sla_status, doc.escalated) == ("Paused", 0)

	frappe.set_user(sales_user)
	with f.frozen_at(hours(100)):
		f.comment(doc, "Photo attached to the courier's report")
	as_user_at(hours(100.5), sales_user, doc, "Appeal")
	assert doc.sla_due_by == hours(100.5 + 14)
	assert doc.sla_status == "On Track"

	at(hours(111), escalate_breached_requests)
	doc.reload()
	assert (doc.sla_status, doc.escalated) == ("Due Soon", 0)
	at(hours(114.5), escalate_breached_requests)
	doc.reload()
	assert (doc.sla_status, doc.escalated) == ("Breached", 1)
