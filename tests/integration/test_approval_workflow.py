"""The approval workflow of issue 3 on a real site: real users with real roles act through the workflow.

Routing by amount, reason and groups; one and two levels; auto-approval; self-approval, Sales User
approval and rejection without reason refused; appeal; frozen paths; Workflow Actions and their
e-mails; notifications through the Email Queue. SLA and escalation are in test_approval_sla.py.
"""

import frappe
import pytest
from frappe.model.workflow import WorkflowTransitionError, get_common_transition_actions, get_transitions

from refund_manager import approval
from refund_manager.approval import (
	AppealEvidenceRequiredError,
	ApprovalRequiredError,
	RejectionReasonRequiredError,
	RoutingChangedError,
)
from refund_manager.core.routing import AUTO_APPROVE, ONE_LEVEL, TWO_LEVELS
from tests.integration import factories as f

pytestmark = pytest.mark.usefixtures("company")


def paid_order(qty=2, rate=100.0, customer=None, item=None):
	"""A billed and paid Sales Order: refunding all of it refunds qty x rate + 10 % tax."""
	customer = customer or f.make_customer()
	item = item or f.make_item()
	so = f.make_sales_order(customer, [(item, qty, rate)])
	si = f.bill(so.name)
	f.pay("Sales Invoice", si.name)
	return so


def raise_request(so, user=None, reason="Changed Mind"):
	"""The request as `user` raises it (saved draft), or as Administrator."""
	if user:
		frappe.set_user(user)
	doc = f.refund_request_for(so.name, reason=reason)
	doc.insert()
	return doc


def as_user(user, doc, action):
	frappe.set_user(user)
	try:
		return f.act(doc, action)
	finally:
		frappe.set_user("Administrator")


def actions_for(user, doc) -> set[str]:
	frappe.set_user(user)
	try:
		return {t.action for t in get_transitions(frappe.get_doc(doc.doctype, doc.name))}
	finally:
		frappe.set_user("Administrator")


def timeline(doc, comment_type="Info") -> list[str]:
	return frappe.get_all(
		"Comment",
		filters={"reference_doctype": doc.doctype, "reference_name": doc.name, "comment_type": comment_type},
		pluck="content",
		order_by="creation asc",
	)


def queued_emails(doc) -> list[dict]:
	"""E-mails waiting in Frappe's Email Queue about `doc`: recipients, subject, decoded body."""
	import email

	out = []
	for row in frappe.get_all(
		"Email Queue",
		filters={"reference_doctype": doc.doctype, "reference_name": doc.name},
		fields=["name", "message"],
		order_by="creation asc",
	):
		message = email.message_from_string(row.message)
		body = "".join(
			part.get_payload(decode=True).decode()
			for part in message.walk()
			if part.get_content_type() == "text/html"
		)
		recipients = set(frappe.get_all("Email Queue Recipient", filters={"parent": row.name}, pluck="recipient"))
		out.append({"recipients": recipients, "subject": str(email.header.make_header(email.header.decode_header(message["Subject"]))), "body": body})
	return out


def emails_with(doc, subject_part: str) -> list[dict]:
	return [m for m in queued_emails(doc) if subject_part in m["subject"]]


# ---------------------------------------------------------------- what install ships


def test_workflow_states_actions_and_notifications_are_installed():
	from refund_manager import install

	workflow = frappe.get_doc("Workflow", approval.WORKFLOW)
	assert workflow.is_active and workflow.document_type == "Refund Request"
	assert workflow.workflow_state_field == "workflow_state"
	assert {(s.state, s.doc_status) for s in workflow.states} == {
		("Draft", "0"),
		("Pending Approval", "0"),
		("Pending Finance Approval", "0"),
		("Approved", "1"),
		("Rejected", "0"),
		("Cancelled", "2"),
	}
	assert {t.action for t in workflow.transitions} == {"Submit for Approval", "Approve", "Reject", "Appeal", "Cancel"}
	assert ("Rejected", "Pending Approval") in {(t.state, t.next_state) for t in workflow.transitions if t.action == "Appeal"}
	assert all(not t.allow_self_approval for t in workflow.transitions if t.action == "Approve")
	for state in install.WORKFLOW_STATES:
		assert frappe.db.exists("Workflow State", state)
	for action in install.WORKFLOW_ACTIONS:
		assert frappe.db.exists("Workflow Action Master", action)
	# the state field is part of the doctype: Frappe made no custom field for it
	assert not frappe.db.exists("Custom Field", {"dt": "Refund Request", "fieldname": "workflow_state"})
	notifications = frappe.get_all(
		"Notification", filters={"document_type": "Refund Request", "is_standard": 1, "enabled": 1}, pluck="name"
	)
	assert set(notifications) >= {
		"Refund Request Submitted",
		"Refund Request Approved",
		"Refund Request Rejected",
		"Refund Request Refunded",
	}


@pytest.fixture
def workflow_restored():
	"""Tests that edit the workflow leave Frappe's caches of it behind: drop them with the rollback."""
	yield
	frappe.db.rollback()
	frappe.clear_cache()  # workflow, meta and site defaults


def test_workflow_is_kept_up_to_date_unless_an_administrator_edited_it(workflow_restored):
	from refund_manager import install

	def modified():
		return frappe.db.get_value("Workflow", approval.WORKFLOW, "modified")

	before = modified()
	install.after_migrate()
	assert modified() == before  # nothing to do twice

	# an administrator edits it: migrate leaves it alone
	doc = frappe.get_doc("Workflow", approval.WORKFLOW)
	doc.send_email_alert = 0
	doc.save()
	install.add_workflow()
	assert frappe.db.get_value("Workflow", approval.WORKFLOW, "send_email_alert") == 0

	# an older version of ours (unchanged since we wrote it): migrate brings it up to date
	doc.reload()
	doc.transitions = [t for t in doc.transitions if t.action != "Appeal"]
	doc.save()
	frappe.db.set_default(install.WORKFLOW_FINGERPRINT_KEY, install.workflow_fingerprint(doc.as_dict()))
	install.add_workflow()
	doc.reload()
	assert doc.send_email_alert == 1 and any(t.action == "Appeal" for t in doc.transitions)

	# deleted: created again
	frappe.delete_doc("Workflow", approval.WORKFLOW)
	install.add_workflow()
	assert frappe.db.exists("Workflow", approval.WORKFLOW)


# ---------------------------------------------------------------- routing


def test_rule_conditions_left_empty_stay_empty():
	"""Frappe fills new Link fields from the user's defaults (company, customer group...): not these."""
	assert frappe.defaults.get_defaults().get("company")  # the site has a default company
	settings = f.set_approval_rules({"rule_name": "Any", "outcome": ONE_LEVEL})
	(rule,) = settings.approval_rules
	assert not (rule.match_company or rule.match_refund_reason or rule.match_customer_group or rule.match_item_group)


def test_routing_by_amount_in_company_currency():
	f.set_approval_rules(
		{"rule_name": "Small", "outcome": AUTO_APPROVE, "to_amount": 300},
		{"rule_name": "Medium", "outcome": ONE_LEVEL, "from_amount": 300, "to_amount": 1000},
		{"rule_name": "Large", "outcome": TWO_LEVELS, "from_amount": 1000},
	)
	small = raise_request(paid_order(2, 100.0))  # 220
	medium = raise_request(paid_order(5, 100.0))  # 550
	large = raise_request(paid_order(10, 100.0))  # 1,100
	assert (small.base_refund_amount, small.approval_level, small.matched_rule) == (220, 0, "Small")
	assert (medium.approval_level, medium.matched_rule) == (1, "Medium")
	assert (large.approval_level, large.matched_rule) == (2, "Large")


def test_routing_by_reason_priority_and_the_safe_default():
	f.set_approval_rules(
		{"rule_name": "Late deliveries", "outcome": AUTO_APPROVE, "match_refund_reason": "Late Delivery", "priority": 5},
		{"rule_name": "Everything from 100", "outcome": TWO_LEVELS, "from_amount": 100, "priority": 10},
	)
	late = raise_request(paid_order(), reason="Late Delivery")
	assert (late.approval_level, late.matched_rule) == (0, "Late deliveries")  # priority 5 is tried first
	other = raise_request(paid_order(), reason="Changed Mind")
	assert (other.approval_level, other.matched_rule) == (2, "Everything from 100")
	tiny = raise_request(paid_order(1, 50.0), reason="Changed Mind")  # 55: no rule matches
	assert (tiny.approval_level, tiny.matched_rule) == (1, None)


def test_routing_by_customer_group_and_item_group_includes_subgroups():
	vip = f.make_group("Customer Group", "RM VIP Customers", f.CUSTOMER_GROUP)
	gold = f.make_group("Customer Group", "RM VIP Gold", vip)
	fragile = f.make_group("Item Group", "RM Fragile Items", f.ITEM_GROUP)
	f.set_approval_rules(
		{"rule_name": "VIP", "outcome": AUTO_APPROVE, "match_customer_group": vip},
		{"rule_name": "Fragile", "outcome": TWO_LEVELS, "match_item_group": fragile},
	)
	assert raise_request(paid_order(customer=f.make_customer(gold))).matched_rule == "VIP"
	fragile_request = raise_request(paid_order(item=f.make_item(item_group=fragile)))
	assert (fragile_request.approval_level, fragile_request.matched_rule) == (2, "Fragile")
	assert raise_request(paid_order()).matched_rule is None


def test_changing_a_rule_reroutes_drafts_at_once_but_pending_requests_keep_their_path():
	approver = f.make_user("Refund Approver")
	pending = raise_request(paid_order())
	f.act(pending, "Submit for Approval")
	draft = raise_request(paid_order())
	assert pending.approval_level == draft.approval_level == 1

	f.set_approval_rules({"rule_name": "Everything", "outcome": TWO_LEVELS})
	draft.reload()
	pending.reload()
	assert (draft.approval_level, draft.matched_rule) == (2, "Everything")
	assert (pending.approval_level, pending.matched_rule) == (1, None)
	as_user(approver, pending, "Approve")
	assert (pending.status, pending.docstatus) == ("Refunded", 1)  # one level, as it was given; approved and posted


def test_a_draft_routed_before_its_masters_changed_must_be_saved_again():
	vip = f.make_group("Customer Group", "RM VIP Customers", f.CUSTOMER_GROUP)
	f.set_approval_rules({"rule_name": "VIP", "outcome": AUTO_APPROVE, "match_customer_group": vip})
	customer = f.make_customer(vip)
	doc = raise_request(paid_order(customer=customer))
	assert doc.approval_level == 0
	frappe.db.set_value("Customer", customer, "customer_group", f.CUSTOMER_GROUP)  # no longer VIP

	with pytest.raises(RoutingChangedError, match="Save it again"):
		f.act(doc, "Submit for Approval")
	doc.save()
	assert doc.approval_level == 1
	f.act(doc, "Submit for Approval")
	assert doc.status == "Pending Approval"


def test_values_a_client_sends_for_the_approval_fields_are_ignored():
	sales_user = f.make_user("Sales User")
	doc = raise_request(paid_order(), sales_user)
	doc.approval_level = 0
	doc.matched_rule = "Made up"
	doc.escalated = 1
	doc.save()
	assert (doc.approval_level, doc.matched_rule, doc.escalated) == (1, None, 0)
	f.act(doc, "Submit for Approval")
	doc.approval_level = 0
	doc.appeal_count = 7
	doc.save()
	assert (doc.approval_level, doc.appeal_count) == (1, 0)


# ---------------------------------------------------------------- the paths


def test_auto_approval_reaches_approved_for_a_sales_user_and_names_the_rule():
	f.set_approval_rules({"rule_name": "Small refunds", "outcome": AUTO_APPROVE, "to_amount": 500})
	sales_user = f.make_user("Sales User")
	doc = raise_request(paid_order(), sales_user)
	assert not frappe.has_permission("Refund Request", "submit", doc=doc, user=sales_user)
	assert actions_for(sales_user, doc) == {"Submit for Approval"}

	as_user(sales_user, doc, "Submit for Approval")
	assert (doc.workflow_state, doc.status, doc.docstatus) == ("Approved", "Refunded", 1)  # approved, and posted
	assert doc.modified_by == sales_user
	assert any("Small refunds" in c for c in timeline(doc))
	# a Sales User still cannot submit by hand what the rules do not auto-approve
	other = raise_request(paid_order(10, 100.0), sales_user)
	other.workflow_state = "Approved"
	with pytest.raises(frappe.PermissionError):
		other.submit()


def test_a_draft_the_rules_auto_approve_is_in_nobodys_inbox():
	"""Only requests waiting for a decision reach the inbox: Frappe would list a draft whose next
	state (Approved, by auto-approval) is not optional under every requester role, other sales
	users and portal customers included."""
	f.set_approval_rules({"rule_name": "Small refunds", "outcome": AUTO_APPROVE, "to_amount": 500})
	sales_user, colleague = f.make_user("Sales User"), f.make_user("Sales User")
	doc = raise_request(paid_order(), sales_user)
	doc.description = "edited"
	doc.save()  # a draft saved again stays out of inboxes too
	assert doc.approval_level == 0 and doc.workflow_state == "Draft"
	assert frappe.get_all("Workflow Action", filters={"reference_doctype": doc.doctype, "reference_name": doc.name}) == []
	frappe.set_user(colleague)
	try:
		assert frappe.get_list("Workflow Action", filters={"reference_name": doc.name}) == []
	finally:
		frappe.set_user("Administrator")
	assert actions_for(sales_user, doc) == {"Submit for Approval"}  # its raiser still submits it
	as_user(sales_user, doc, "Submit for Approval")
	assert (doc.workflow_state, doc.docstatus) == ("Approved", 1)


def test_one_level_path_and_a_sales_user_cannot_approve():
	sales_user = f.make_user("Sales User")
	approver = f.make_user("Refund Approver")
	doc = raise_request(paid_order(), sales_user)
	as_user(sales_user, doc, "Submit for Approval")
	assert (doc.status, doc.workflow_state, doc.approval_level) == ("Pending Approval", "Pending Approval", 1)

	assert actions_for(sales_user, doc) == set()
	frappe.set_user(sales_user)
	with pytest.raises(WorkflowTransitionError):
		f.act(doc, "Approve")
	frappe.set_user("Administrator")

	assert actions_for(approver, doc) == {"Approve", "Reject"}
	as_user(approver, doc, "Approve")
	assert (doc.status, doc.docstatus) == ("Refunded", 1)  # approved, and posted


def test_two_level_path_needs_a_refund_manager_after_the_approver():
	f.set_approval_rules({"rule_name": "Big", "outcome": TWO_LEVELS, "from_amount": 100})
	sales_user = f.make_user("Sales User")
	approver = f.make_user("Refund Approver")
	manager = f.make_user("Refund Manager")
	doc = raise_request(paid_order(), sales_user)
	as_user(sales_user, doc, "Submit for Approval")
	assert actions_for(manager, doc) == set()  # not the manager's turn yet

	as_user(approver, doc, "Approve")
	assert (doc.status, doc.docstatus, doc.approval_level) == ("Pending Finance Approval", 0, 2)
	assert actions_for(approver, doc) == set()
	assert actions_for(manager, doc) == {"Approve", "Reject"}

	as_user(manager, doc, "Approve")
	assert (doc.status, doc.docstatus) == ("Refunded", 1)  # approved, and posted


def test_self_approval_is_refused():
	raiser_and_approver = f.make_user("Sales User", "Refund Approver")
	colleague = f.make_user("Refund Approver")
	doc = raise_request(paid_order(), raiser_and_approver)
	as_user(raiser_and_approver, doc, "Submit for Approval")

	frappe.set_user(raiser_and_approver)
	with pytest.raises(frappe.ValidationError, match="Self approval is not allowed"):
		f.act(doc, "Approve")
	frappe.set_user("Administrator")
	assert frappe.db.get_value("Refund Request", doc.name, "status") == "Pending Approval"

	as_user(colleague, doc, "Approve")
	assert doc.status == "Refunded"  # approved, and posted


def test_direct_submit_and_cancel_around_the_workflow_are_refused():
	manager = f.make_user("Refund Manager")
	doc = raise_request(paid_order())
	with pytest.raises(ApprovalRequiredError, match="approved through its workflow"):
		doc.submit()  # Administrator holds submit permission: still through the workflow

	f.approve(doc)
	with pytest.raises(ApprovalRequiredError, match="Cancel"):
		doc.cancel()
	as_user(manager, doc, "Cancel")
	assert (doc.docstatus, doc.status, doc.workflow_state) == (2, "Cancelled", "Cancelled")


# ---------------------------------------------------------------- rejection and appeal


def test_rejection_needs_a_reason_which_is_stored_shown_and_sent():
	sales_user = f.make_user("Sales User")
	approver = f.make_user("Refund Approver")
	so = paid_order(customer=f.make_customer(email="buyer@example.com"))
	doc = raise_request(so, sales_user)
	assert doc.contact_email == "buyer@example.com"
	as_user(sales_user, doc, "Submit for Approval")

	frappe.set_user(approver)
	with pytest.raises(RejectionReasonRequiredError):
		f.act(doc, "Reject")  # e.g. from the e-mail's reject link: the form asks for the reason
	with pytest.raises(RejectionReasonRequiredError):
		approval.set_rejection_reason(doc.name, "   ")
	frappe.set_user(sales_user)
	with pytest.raises(frappe.PermissionError):
		approval.set_rejection_reason(doc.name, "I reject my own")
	frappe.set_user(approver)
	f.reject(doc, "The goods were used <b>for months</b>")
	frappe.set_user("Administrator")

	assert (doc.status, doc.docstatus, doc.rejection_reason) == ("Rejected", 0, "The goods were used <b>for months</b>")
	assert doc.rejected_on and doc.sla_status == "Paused"
	assert any("for months" in c and "<b>" not in c for c in timeline(doc))
	(mail,) = emails_with(doc, "not approved")
	assert mail["recipients"] == {sales_user, "buyer@example.com"}
	assert "The goods were used &lt;b&gt;for months&lt;/b&gt;" in mail["body"]


def test_appeal_needs_a_new_comment_or_evidence_and_is_counted():
	sales_user = f.make_user("Sales User")
	approver = f.make_user("Refund Approver")
	doc = raise_request(paid_order(), sales_user)
	f.comment(doc, "Written before the rejection")
	as_user(sales_user, doc, "Submit for Approval")
	frappe.set_user(approver)
	f.reject(doc, "No proof of the damage")

	frappe.set_user(sales_user)
	assert actions_for(sales_user, doc) == {"Appeal"}
	with pytest.raises(AppealEvidenceRequiredError):
		f.act(doc, "Appeal")
	f.comment(doc, "The courier confirmed the damage, see their e-mail")
	f.act(doc, "Appeal")
	assert (doc.status, doc.appeal_count, doc.rejection_reason) == ("Pending Approval", 1, None)

	frappe.set_user(approver)
	f.reject(doc, "Still no photo")
	frappe.set_user(sales_user)
	frappe.get_doc(
		{
			"doctype": "File",
			"file_name": "damage.txt",
			"content": b"photo of the damage",
			"attached_to_doctype": "Refund Request",
			"attached_to_name": doc.name,
		}
	).insert()
	f.act(doc, "Appeal")
	assert (doc.status, doc.appeal_count) == ("Pending Approval", 2)

	as_user(approver, doc, "Approve")
	assert doc.status == "Refunded"  # approved, and posted


def test_an_appeal_never_gets_an_easier_path():
	approver = f.make_user("Refund Approver")
	doc = raise_request(paid_order())
	f.act(doc, "Submit for Approval")
	frappe.set_user(approver)
	f.reject(doc, "Too early")
	frappe.set_user("Administrator")

	f.set_approval_rules({"rule_name": "Everything", "outcome": AUTO_APPROVE})
	f.comment(doc, "Please look again")
	f.act(doc, "Appeal")
	assert (doc.status, doc.approval_level) == ("Pending Approval", 1)


# ---------------------------------------------------------------- inbox, e-mails, bulk


def test_workflow_actions_and_their_emails_reach_the_right_users():
	f.set_approval_rules({"rule_name": "Big", "outcome": TWO_LEVELS})
	sales_user = f.make_user("Sales User")
	approver = f.make_user("Refund Approver")
	approver_who_raised = f.make_user("Sales User", "Refund Approver")
	manager = f.make_user("Refund Manager")
	doc = raise_request(paid_order(), approver_who_raised)
	as_user(approver_who_raised, doc, "Submit for Approval")

	def inbox(user):
		frappe.set_user(user)
		try:
			return frappe.get_list(
				"Workflow Action",
				filters={"reference_doctype": "Refund Request", "reference_name": doc.name, "status": "Open"},
				pluck="workflow_state",
			)
		finally:
			frappe.set_user("Administrator")

	assert inbox(approver) == ["Pending Approval"]
	assert inbox(sales_user) == [] and inbox(manager) == []
	# one e-mail per user holding the role (the site's setup user may hold it too), none to the raiser
	mails = emails_with(doc, "waits for your approval")
	assert all(len(m["recipients"]) == 1 for m in mails)
	assert not any(approver_who_raised in m["recipients"] for m in mails)
	(mail,) = [m for m in mails if approver in m["recipients"]]
	assert "workflow_action.apply_action" in mail["body"]
	assert "action=Approve" in mail["body"] and "action=Reject" in mail["body"]

	as_user(approver, doc, "Approve")
	completed = frappe.get_all(
		"Workflow Action",
		filters={"reference_name": doc.name, "workflow_state": "Pending Approval"},
		fields=["status", "completed_by"],
	)
	assert completed == [{"status": "Completed", "completed_by": approver}]
	assert inbox(manager) == ["Pending Finance Approval"]
	assert inbox(approver) == []
	assert any(manager in m["recipients"] for m in emails_with(doc, "waits for your approval"))


def test_bulk_approval_offers_approve_for_requests_on_either_path():
	"""What the list view's bulk Approve relies on (Frappe's bulk job itself commits, so it is not run here)."""
	f.set_approval_rules({"rule_name": "Big", "outcome": TWO_LEVELS, "from_amount": 500})
	approver = f.make_user("Refund Approver")
	one_level = raise_request(paid_order())
	two_levels = raise_request(paid_order(5, 100.0))
	own = raise_request(paid_order(), f.make_user("Sales User", "Refund Approver"))
	for doc in (one_level, two_levels, own):
		frappe.set_user(doc.owner)
		f.act(doc, "Submit for Approval")
	frappe.set_user(approver)
	selection = [frappe.get_doc("Refund Request", d.name).as_dict() for d in (one_level, two_levels)]
	assert set(get_common_transition_actions(selection, "Refund Request")) == {"Approve", "Reject"}
	frappe.set_user(own.owner)
	assert "Approve" not in get_common_transition_actions([frappe.get_doc("Refund Request", own.name).as_dict()], "Refund Request")

	# the bulk job applies the action to each request fetched afresh, as the approver
	frappe.set_user(approver)
	from frappe.model.workflow import apply_workflow

	for name in (one_level.name, two_levels.name):
		apply_workflow(frappe.get_doc("Refund Request", name), "Approve")
	frappe.set_user("Administrator")
	assert frappe.db.get_value("Refund Request", one_level.name, "status") == "Refunded"  # approved, and posted
	assert frappe.db.get_value("Refund Request", two_levels.name, "status") == "Pending Finance Approval"


# ---------------------------------------------------------------- notifications


def test_requester_and_customer_are_told_of_each_state_change():
	sales_user = f.make_user("Sales User")
	approver = f.make_user("Refund Approver")
	doc = raise_request(paid_order(customer=f.make_customer(email="client@example.com")), sales_user)
	assert queued_emails(doc) == []

	as_user(sales_user, doc, "Submit for Approval")
	(received,) = emails_with(doc, "received")
	assert received["recipients"] == {sales_user, "client@example.com"}
	assert doc.sales_order in received["body"]

	as_user(approver, doc, "Approve")
	# approval posted the refund and paid the money back at once: one e-mail says so (not an
	# "approved, you will hear from us once paid" beside it), then the customer is asked to rate it
	assert frappe.db.get_value("Refund Request", doc.name, "status") == "Refunded"
	(refunded,) = emails_with(doc, "refunded")
	assert refunded["recipients"] == {sales_user, "client@example.com"}
	assert emails_with(doc, f"{doc.name} approved") == []
	(feedback,) = emails_with(doc, "How was your refund")
	assert feedback["recipients"] == {"client@example.com"}
	to_customer = [m["subject"] for m in queued_emails(doc) if "client@example.com" in m["recipients"]]
	assert sorted(to_customer) == sorted([received["subject"], refunded["subject"], feedback["subject"]])


def test_a_refund_credited_against_an_unpaid_invoice_is_announced_as_credited():
	sales_user = f.make_user("Sales User")
	approver = f.make_user("Refund Approver")
	so = f.make_sales_order(f.make_customer(email="owes@example.com"), [(f.make_item(), 2, 100.0)])
	f.bill(so.name)  # invoiced, not paid: the refund lowers what the customer owes
	doc = raise_request(so, sales_user)
	as_user(sales_user, doc, "Submit for Approval")
	as_user(approver, doc, "Approve")
	assert frappe.db.get_value("Refund Request", doc.name, "status") == "Credited"
	(credited,) = emails_with(doc, f"{doc.name} approved")
	assert credited["recipients"] == {sales_user, "owes@example.com"}
	assert "credited" in credited["body"] and "You will hear from us again" not in credited["body"]
	assert emails_with(doc, "refunded") == [] and emails_with(doc, "How was your refund") == []
