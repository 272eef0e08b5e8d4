"""Who may do what with Refund Requests: one table of role x action, checked action by action.

Each desk role gets a user holding only that role, limited by a User Permission to one customer
(ours) as a company would limit its staff; the Customer role is a portal user acting for that
customer (issue 5), who raises refunds through the portal's form rather than the Desk; the requests belong to that customer, but one, which belongs
to another. Every cell performs the action for real as that user (the Desk's own calls: the mapper,
insert, workflow actions, the rejection reason, saving settings) and checks that it happened, or
that it was refused with a permission or workflow error and nothing changed. The same table is
rendered into README.md (test_readme_shows_this_table keeps the two equal).
"""

import json
from pathlib import Path

import frappe
import frappe.permissions
import pytest
from frappe.model.workflow import WorkflowPermissionError, WorkflowTransitionError

from refund_manager.approval import set_rejection_reason
from refund_manager.portal import raise_refund
from tests.integration import factories as f
from tests.integration.portal_world import link_as_portal_user, portal_user

pytestmark = pytest.mark.usefixtures("company")

ROLES = (
	"Sales User",
	"Sales Manager",
	"Refund Approver",
	"Refund Manager",
	"Accounts User",
	"Accounts Manager",
	"System Manager",
	"Customer",  # a portal user acting for our customer (issue 5): raises refunds on the portal
)
ACTIONS = {
	"create": "create (from the order)",
	"approve": "approve",
	"reject": "reject",
	"approve_finance": "approve (finance level)",
	"reject_finance": "reject (finance level)",
	"cancel": "cancel (reverses postings)",
	"read": "read",
	"read_other_customer": "read another customer's",
	"change_settings": "change settings",
}
Y, N = True, False
# role: create, approve, reject, approve_finance, reject_finance, cancel, read, read_other_customer, change_settings
EXPECTED = {
	"Sales User": (Y, N, N, N, N, N, Y, N, N),
	"Sales Manager": (Y, N, N, N, N, N, Y, N, N),
	"Refund Approver": (N, Y, Y, N, N, N, Y, N, N),
	"Refund Manager": (N, N, N, Y, Y, Y, Y, N, Y),
	"Accounts User": (N, N, N, N, N, N, Y, N, N),
	"Accounts Manager": (N, N, N, N, N, N, Y, N, Y),
	"System Manager": (N, N, N, N, N, N, Y, N, Y),
	"Customer": (Y, N, N, N, N, N, Y, N, N),
}
REFUSALS = (frappe.PermissionError, WorkflowTransitionError, WorkflowPermissionError)


@pytest.fixture(scope="module")
def setting(company):
	"""Committed once: users per role, and requests of our customer in each state (Administrator
	raised them, so nobody is approving their own)."""
	ours, theirs = f.make_customer(), f.make_customer()
	item = f.make_item()

	def paid_order(customer):
		so = f.make_sales_order(customer, [(item, 5, 100.0)])
		f.deliver(so.name)
		f.pay("Sales Invoice", f.bill(so.name).name)
		return so.name

	def request(so, *actions):
		doc = f.refund_request_for(so, reason="Wrong Item")
		doc.items[0].qty = 1
		doc.insert()
		for action in actions:
			doc = f.act(doc, action)
		return doc.name

	order = paid_order(ours)
	finance = request(order, "Submit for Approval")
	# the finance level as a two-level rule would give it (rules are not committed for one test)
	frappe.db.set_value(
		"Refund Request",
		finance,
		{
			"approval_level": 2,
			"workflow_state": "Pending Finance Approval",
			"status": "Pending Finance Approval",
		},
	)
	users = {}
	for role in ROLES:
		if role == "Customer":  # a website user linked to our customer as its Portal User
			users[role] = portal_user("Carol")
			link_as_portal_user(ours, users[role])
			continue
		users[role] = f.make_user(role)
		frappe.permissions.add_user_permission("Customer", ours, users[role], ignore_permissions=True)
	setting = frappe._dict(
		order=order,
		line=frappe.db.get_value("Sales Order Item", {"parent": order}, "name"),
		pending=request(order, "Submit for Approval"),
		finance=finance,
		approved=request(order, "Submit for Approval", "Approve"),
		theirs=request(paid_order(theirs), "Submit for Approval"),
		users=users,
	)
	frappe.db.commit()
	return setting


def state(name: str) -> tuple:
	return frappe.db.get_value("Refund Request", name, ["docstatus", "workflow_state"])


def act_as(user: str, name: str, action: str):
	frappe.set_user(user)
	return f.act(frappe.get_doc("Refund Request", name), action)


def moved(name: str, act, to: tuple) -> bool:
	"""Run a workflow step: True when the request reached `to`, False when refused (unchanged)."""
	before = state(name)
	try:
		act()
	except REFUSALS:
		assert state(name) == before
		return False
	assert state(name) == to
	return True


def attempt(action: str, user: str, s) -> bool:
	"""Perform `action` as `user`: True when it happened, False when refused (nothing changed)."""
	if action == "create":
		frappe.set_user(user)
		try:
			if "Customer" in frappe.get_roles(user):  # the portal's raise form, as the customer
				name = raise_refund(s.order, json.dumps({s.line: 1}), "Wrong Item")["name"]
			else:  # the Desk: Create > Refund Request on the order, then save
				doc = f.refund_request_for(s.order)
				doc.items[0].qty = 1
				doc.insert()
				name = doc.name
		except REFUSALS:
			return False
		return bool(frappe.db.exists("Refund Request", name))

	if action in ("approve", "approve_finance"):
		name = s.pending if action == "approve" else s.finance
		return moved(name, lambda: act_as(user, name, "Approve"), to=(1, "Approved"))

	if action in ("reject", "reject_finance"):
		name = s.pending if action == "reject" else s.finance

		def reject():
			frappe.set_user(user)
			set_rejection_reason(name, "Not covered by the policy")
			act_as(user, name, "Reject")

		return moved(name, reject, to=(0, "Rejected"))

	if action == "cancel":
		return moved(s.approved, lambda: act_as(user, s.approved, "Cancel"), to=(2, "Cancelled"))

	if action in ("read", "read_other_customer"):
		name = s.pending if action == "read" else s.theirs
		allowed = frappe.has_permission(
			"Refund Request", "read", frappe.get_doc("Refund Request", name), user=user
		)
		frappe.set_user(user)
		try:  # the list view agrees with the document's permission
			listed = bool(frappe.get_list("Refund Request", filters={"name": name}, pluck="name"))
		except frappe.PermissionError:
			listed = False
		assert listed == allowed, (user, action, listed, allowed)
		return allowed

	if action == "change_settings":
		frappe.set_user(user)
		settings = frappe.get_doc("Refund Settings")
		settings.response_hours = 12
		try:
			settings.save()
		except REFUSALS:
			return False
		frappe.set_user("Administrator")
		return frappe.db.get_single_value("Refund Settings", "response_hours") == 12

	raise ValueError(action)


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize("role", ROLES)
def test_role_may_or_may_not(setting, role, action):
	expected = EXPECTED[role][list(ACTIONS).index(action)]
	assert attempt(action, setting.users[role], setting) == expected, (
		f"{role} {'should' if expected else 'should not'} be able to {ACTIONS[action]}"
	)


def render_table() -> str:
	header = "| role | " + " | ".join(ACTIONS.values()) + " |"
	rule = "|" + "---|" * (len(ACTIONS) + 1)
	rows = [
		f"| {role} | " + " | ".join("yes" if v else "no" for v in EXPECTED[role]) + " |" for role in ROLES
	]
	return "\n".join([header, rule, *rows])


def test_readme_shows_this_table():
	readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
	assert render_table() in readme, (
		"README's permission table differs from the one tested:\n" + render_table()
	)
