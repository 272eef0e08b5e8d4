"""The approval workflow of Refund Requests: what the Frappe Workflow itself cannot do.

The Workflow "Refund Request Approval" (created by `install.py`) moves a request between states and
offers each role its actions; its transition conditions read `approval_level`. This module:
- routes: `approval_level` and `matched_rule` come from the rules in Refund Settings
  (`core.routing`), recomputed on every save while the request is a draft, frozen once it leaves
  Draft (an appeal or an edit while pending may raise the path, never lower it);
- checks transitions: evidence before leaving Draft, a rejection reason, a new comment or file
  before an appeal, no submit or cancel around the workflow;
- keeps the response time (`core.sla`): due per approval level, paused while rejected, and the
  hourly escalation of breached requests;
- stamps the milestones the reports measure: `requested_on` (first left Draft), `approved_on`
  (reached the approved, submitted state); `refunded_on` is stamped by the controller once the
  postings have made the request Refunded.
The approval fields and the milestones belong to this module: values a client sends for them are ignored.
"""

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.model.workflow import get_transitions, get_workflow_name, has_approval_access
from frappe.query_builder import DocType
from frappe.utils import cint, flt, format_datetime, get_datetime, now_datetime
from frappe.utils.nestedset import get_ancestors_of

from refund_manager.core import routing, sla

DOCTYPE = "Refund Request"
WORKFLOW = "Refund Request Approval"

DRAFT = "Draft"
PENDING_APPROVAL = "Pending Approval"
PENDING_FINANCE_APPROVAL = "Pending Finance Approval"
APPROVED = "Approved"
REJECTED = "Rejected"
CANCELLED = "Cancelled"
PENDING_STATES = (PENDING_APPROVAL, PENDING_FINANCE_APPROVAL)

SUBMIT_FOR_APPROVAL = "Submit for Approval"
APPROVE = "Approve"
REJECT = "Reject"
APPEAL = "Appeal"
CANCEL = "Cancel"

# Fields only this module sets (through the workflow, the scheduler or `set_rejection_reason`).
APPROVAL_FIELDS = (
	"approval_level",
	"matched_rule",
	"rejection_reason",
	"rejected_on",
	"appeal_count",
	"sla_due_by",
	"sla_status",
	"escalated",
)

# When the request first left Draft, was approved, was refunded: set by the app only, with or
# without an active workflow (the reports measure hours between them).
MILESTONE_FIELDS = ("requested_on", "approved_on", "refunded_on")


class ApprovalError(frappe.ValidationError):
	pass


class ApprovalRequiredError(ApprovalError):
	"""A submit or cancel that goes around the workflow."""


class RoutingChangedError(ApprovalError):
	pass


class RejectionReasonRequiredError(ApprovalError):
	pass


class AppealEvidenceRequiredError(ApprovalError):
	pass


# ------------------------------------------------------------------ workflow


def active_workflow():
	"""The active Workflow on Refund Request (ours, or one an administrator made), or None."""
	name = get_workflow_name(DOCTYPE)
	return frappe.get_cached_doc("Workflow", name) if name else None


def state_of(doc: Document | None, workflow) -> str:
	return (doc.get(workflow.workflow_state_field) if doc else None) or DRAFT


def docstatus_of(workflow, state: str) -> int | None:
	row = next((d for d in workflow.states if d.state == state), None)
	return cint(row.doc_status) if row else None


# ------------------------------------------------------------------ controller steps


def validate(doc: Document):
	"""Called from RefundRequest.validate once totals are known."""
	before = doc.get_doc_before_save()
	keep_fields(doc, before, MILESTONE_FIELDS)
	workflow = active_workflow()
	if not workflow:
		stamp_direct_submit(doc)
		return
	keep_fields(doc, before, APPROVAL_FIELDS)
	old, new = state_of(before, workflow), state_of(doc, workflow)
	if doc.docstatus == 1 and docstatus_of(workflow, new) != 1:
		frappe.throw(
			_("A Refund Request is approved through its workflow (Submit for Approval, then Approve), not submitted directly."),
			ApprovalRequiredError,
			title=_("Approval Required"),
		)

	if new == DRAFT:
		set_route(doc, current_route(doc))
	elif old == new:
		if new in PENDING_STATES:
			set_route(doc, routing.stricter(route_of(doc), current_route(doc)))
			refresh_sla_status(doc)
	elif old == DRAFT:
		leave_draft(doc, workflow, new)
	elif old == REJECTED and new in PENDING_STATES:
		appeal(doc)
	elif new in PENDING_STATES:
		start_sla(doc)  # the next approval level gets its own response time

	if old != new:
		if new == REJECTED:
			reject(doc)
		else:
			doc.rejection_reason = None
		if new not in PENDING_STATES and new != REJECTED:
			doc.sla_status = None  # decided: no longer timed
		stamp_milestones(doc, workflow, old, new)


def keep_fields(doc: Document, before: Document | None, fieldnames: tuple[str, ...]):
	"""What the app set stays as saved (a new request starts from the defaults)."""
	meta = frappe.get_meta(DOCTYPE)
	for fieldname in fieldnames:
		if before:
			doc.set(fieldname, before.get(fieldname))
		else:
			df = meta.get_field(fieldname)
			doc.set(fieldname, cint(df.default) if df.fieldtype in ("Int", "Check") else None)


def stamp_milestones(doc: Document, workflow, old: str, new: str):
	"""A transition: the first one out of Draft is the request; reaching a submitted state, the approval."""
	now = now_datetime()
	if old == DRAFT and not doc.requested_on:
		doc.requested_on = now
	if docstatus_of(workflow, new) == 1:
		doc.approved_on = now


def stamp_direct_submit(doc: Document):
	"""No active workflow: submitting is asking and approving at once."""
	if doc.docstatus == 1:
		now = now_datetime()
		doc.requested_on = doc.requested_on or now
		doc.approved_on = now


def stamp_refunded(doc: Document):
	"""After posting (before_submit): money went back to the customer."""
	if doc.status == "Refunded" and not doc.refunded_on:
		doc.refunded_on = now_datetime()


def leave_draft(doc: Document, workflow, new: str):
	doc.validate_evidence()
	fresh = current_route(doc)
	if fresh.auto_approved != (docstatus_of(workflow, new) == 1):
		# the draft was routed when last saved; rules or masters changed since
		frappe.throw(
			_("The approval rules now give this request {0}, not what it had when it was last saved. Save it again, then submit it for approval.").format(
				describe(fresh)
			),
			RoutingChangedError,
			title=_("Approval Route Changed"),
		)
	set_route(doc, fresh)
	if new in PENDING_STATES:
		start_sla(doc)


def reject(doc: Document):
	if not (doc.rejection_reason or "").strip():
		frappe.throw(
			_("Give a reason to reject Refund Request {0}: the requester and the customer are told why.").format(
				frappe.bold(doc.name)
			),
			RejectionReasonRequiredError,
			title=_("Rejection Reason Required"),
		)
	doc.rejected_on = now_datetime()
	doc.sla_status = sla.PAUSED


def appeal(doc: Document):
	"""Rejected -> pending again: something new must have been said or attached since the rejection."""
	rejected_on = get_datetime(doc.rejected_on) if doc.rejected_on else None
	if rejected_on and not has_new_input_since(doc, rejected_on):
		frappe.throw(
			_("Add a comment or attach evidence explaining the appeal before appealing Refund Request {0}.").format(
				frappe.bold(doc.name)
			),
			AppealEvidenceRequiredError,
			title=_("Appeal Needs New Information"),
		)
	doc.appeal_count = cint(doc.appeal_count) + 1
	set_route(doc, routing.stricter(route_of(doc), current_route(doc)))
	if doc.sla_due_by and rejected_on:
		doc.sla_due_by = sla.resumed_due_by(get_datetime(doc.sla_due_by), rejected_on, now_datetime())
		doc.escalated = 0  # the rejection closed any escalation's to-dos: escalate again if due
		refresh_sla_status(doc)
	else:
		start_sla(doc)


def has_new_input_since(doc: Document, moment) -> bool:
	comment = frappe.db.exists(
		"Comment",
		{
			"reference_doctype": DOCTYPE,
			"reference_name": doc.name,
			"comment_type": "Comment",
			"creation": (">", moment),
		},
	)
	attachment = frappe.db.exists(
		"File", {"attached_to_doctype": DOCTYPE, "attached_to_name": doc.name, "creation": (">", moment)}
	)
	return bool(comment or attachment)


def on_update(doc: Document):
	"""Timeline notes after a transition (runs for submit too)."""
	workflow = active_workflow()
	before = doc.get_doc_before_save()
	if not workflow or not before:
		return
	old, new = state_of(before, workflow), state_of(doc, workflow)
	if old == new:
		return
	if old == DRAFT and docstatus_of(workflow, new) == 1:
		doc.add_comment("Info", _("Approved automatically by approval rule {0}.").format(frappe.bold(doc.matched_rule)))
	if new == REJECTED:
		doc.add_comment("Info", _("Rejected: {0}").format(frappe.utils.escape_html(doc.rejection_reason)))
	if old in PENDING_STATES and before.escalated:
		from frappe.desk.form.assign_to import close_all_assignments

		close_all_assignments(DOCTYPE, doc.name, ignore_permissions=True)


def on_change(doc: Document):
	"""After Frappe's own on_update hooks: a draft is nobody's to decide, so it leaves no inbox entry.

	Frappe's inbox (`process_workflow_actions`) makes a Workflow Action for the roles of every
	transition into a state that is not optional. Drafts go to Pending Approval, which is optional;
	but a draft the rules auto-approve also offers Approved (docstatus 1, not optional: the pending
	states' Approve needs it in their inbox and e-mails), under every requester role, other sales
	users and portal customers included. Its raiser submits it; nobody else is waiting on it."""
	if doc.docstatus != 0 or cint(doc.approval_level) != 0:
		return
	workflow = active_workflow()
	if not workflow or state_of(doc, workflow) != DRAFT:
		return
	actions = frappe.get_all(
		"Workflow Action",
		filters={"reference_doctype": DOCTYPE, "reference_name": doc.name, "workflow_state": DRAFT, "status": "Open"},
		pluck="name",
	)
	if actions:
		frappe.db.delete("Workflow Action Permitted Role", {"parent": ("in", actions)})
		frappe.db.delete("Workflow Action", {"name": ("in", actions)})


def before_cancel(doc: Document):
	"""When the workflow has a cancel transition, cancelling goes through it."""
	workflow = active_workflow()
	if not workflow or docstatus_of(workflow, state_of(doc, workflow)) == 2:
		return
	if any(docstatus_of(workflow, t.next_state) == 2 for t in workflow.transitions):
		frappe.throw(
			_("An approved Refund Request is cancelled with its workflow action {0}.").format(frappe.bold(_(CANCEL))),
			ApprovalRequiredError,
			title=_("Use the Workflow"),
		)


def permitted_by_workflow(doc: Document, permtype: str, user: str | None = None) -> bool:
	"""True when `doc` is making a transition the workflow offers the session user: the transition
	(its role, condition and self-approval rule) is then the permission to write or submit.

	- Auto-approval submits a request as the Sales User who submitted it for approval, although
	  that role has no submit permission.
	- A portal customer (role Customer: read and print only) submits their own request for
	  approval, or appeals its rejection, from the portal.
	Only a transition out of a draft state counts, and only when nothing but the workflow state
	differs from the stored request (as `apply_workflow` does it): any other change still needs
	the doctype's own write permission.
	"""
	if permtype not in ("write", "submit") or doc.is_new() or doc.docstatus not in (0, 1):
		return False
	if user and user != frappe.session.user:
		return False
	workflow = active_workflow()
	if not workflow:
		return False
	target = state_of(doc, workflow)
	if docstatus_of(workflow, target) != doc.docstatus or (permtype == "submit" and doc.docstatus != 1):
		return False
	before = doc.get_doc_before_save() or stored_request(doc.name)
	if not before or before.docstatus != 0 or state_of(before, workflow) == target:
		return False
	if not only_workflow_state_changed(before, doc, workflow):
		return False
	if not frappe.has_permission(DOCTYPE, "read", before):
		return False
	return any(
		t.next_state == target and has_approval_access(frappe.session.user, before, t)
		for t in get_transitions(before, workflow)
	)


def stored_request(name: str) -> Document | None:
	try:
		return frappe.get_doc(DOCTYPE, name)
	except frappe.DoesNotExistError:
		frappe.clear_last_message()
		return None


def only_workflow_state_changed(before: Document, doc: Document, workflow) -> bool:
	from frappe.core.doctype.version.version import get_diff

	diff = get_diff(before, doc)
	if not diff:
		return True
	changed = {row[0] for row in diff.changed}
	allowed = {workflow.workflow_state_field, "docstatus"}  # docstatus follows the state (checked above)
	return not (diff.added or diff.removed or diff.row_changed) and changed <= allowed


# ------------------------------------------------------------------ routing


def current_route(doc: Document, settings: Document | None = None) -> routing.Route:
	settings = settings or frappe.get_cached_doc("Refund Settings")
	rules = rules_from_rows(settings.approval_rules)
	route = routing.route(rules, routed_request(doc, *routing.groups_needed(rules)))
	# the refund policy's risk flags (frequency, amount) send the request to a person
	return routing.for_manual_review(route) if cint(doc.get("manual_review")) else route


def route_of(doc: Document) -> routing.Route:
	return routing.Route(level=cint(doc.approval_level), rule=doc.matched_rule or None)


def set_route(doc: Document, route: routing.Route):
	doc.approval_level = route.level
	doc.matched_rule = route.rule


def rules_from_rows(rows) -> list[routing.ApprovalRule]:
	return [
		routing.ApprovalRule(
			name=d.rule_name or "",
			outcome=d.outcome,
			priority=cint(d.priority),
			order=cint(d.idx),
			enabled=bool(cint(d.enabled)),
			company=d.match_company or None,
			refund_reason=d.match_refund_reason or None,
			customer_group=d.match_customer_group or None,
			item_group=d.match_item_group or None,
			from_amount=flt(d.from_amount),
			to_amount=flt(d.to_amount),
		)
		for d in rows
	]


def routed_request(doc: Document, customer_groups: bool = True, item_groups: bool = True) -> routing.RoutedRequest:
	"""What routing looks at; the groups (nested sets: a few reads each) only when a rule needs them."""
	customer_group = (
		frappe.db.get_value("Customer", doc.customer, "customer_group") if customer_groups and doc.customer else None
	)
	item_codes = sorted({d.item_code for d in doc.items if d.item_code}) if item_groups else []
	groups_of_items = (
		frappe.get_all("Item", filters={"name": ("in", item_codes)}, pluck="item_group", distinct=True)
		if item_codes
		else []
	)
	return routing.RoutedRequest(
		amount=flt(doc.base_refund_amount),
		company=doc.company,
		refund_reason=doc.refund_reason,
		customer_groups=with_ancestors("Customer Group", [customer_group]),
		item_groups=with_ancestors("Item Group", groups_of_items),
	)


def with_ancestors(doctype: str, names) -> frozenset[str]:
	groups = set()
	for name in filter(None, names):
		groups.add(name)
		groups.update(get_ancestors_of(doctype, name))
	return frozenset(groups)


def describe(route: routing.Route) -> str:
	path = {
		0: _("approval by rule"),
		1: _("one level of approval (Refund Approver)"),
		2: _("two levels of approval (Refund Approver, then Refund Manager)"),
	}[route.level]
	rule = _("rule {0}").format(frappe.bold(route.rule)) if route.rule else _("no rule matched")
	return f"{path} ({rule})"


def reroute_drafts(settings: Document):
	"""Refund Settings were saved: route every draft again at once (pending requests keep their path)."""
	if not active_workflow():
		return
	rr = DocType(DOCTYPE)
	drafts = (
		frappe.qb.from_(rr)
		.select(rr.name)
		.where(
			(rr.docstatus == 0)
			& ((rr.workflow_state == DRAFT) | rr.workflow_state.isnull() | (rr.workflow_state == ""))
		)
	).run(pluck=True)
	for name in drafts:
		doc = frappe.get_doc(DOCTYPE, name)
		route = current_route(doc, settings)
		if route != route_of(doc):
			doc.db_set({"approval_level": route.level, "matched_rule": route.rule}, update_modified=False)


# ------------------------------------------------------------------ rejection from the Desk


@frappe.whitelist()
def set_rejection_reason(name: str, reason: str) -> None:
	"""Store why a pending request is about to be rejected (the form asks before Reject)."""
	if not frappe.db.exists(DOCTYPE, name):
		frappe.throw(
			_("Refund Request {0} does not exist.").format(frappe.bold(frappe.utils.escape_html(name))),
			frappe.DoesNotExistError,
		)
	doc = frappe.get_doc(DOCTYPE, name)
	# the reason is written to the request: only by whom may change it (asked quietly: Frappe's own
	# refusal would say which customer the request belongs to)
	if not frappe.has_permission(DOCTYPE, "write", doc):
		frappe.throw(
			_("You cannot reject Refund Request {0} in its current state.").format(frappe.bold(name)),
			frappe.PermissionError,
		)
	reason = (reason or "").strip()
	if not reason:
		frappe.throw(_("Give a rejection reason."), RejectionReasonRequiredError)
	workflow = active_workflow()
	can_reject = workflow and any(
		t.next_state == REJECTED and has_approval_access(frappe.session.user, doc, t)
		for t in get_transitions(doc, workflow)
	)
	if not can_reject:
		frappe.throw(
			_("You cannot reject Refund Request {0} in its current state.").format(frappe.bold(name)),
			frappe.PermissionError,
		)
	doc.db_set("rejection_reason", reason, update_modified=False)


# ------------------------------------------------------------------ SLA


def sla_settings() -> tuple[float, float]:
	settings = frappe.get_cached_doc("Refund Settings")
	response = flt(settings.response_hours) or sla.DEFAULT_RESPONSE_HOURS
	due_soon = settings.due_soon_hours
	return response, sla.DEFAULT_DUE_SOON_HOURS if due_soon in (None, "") else flt(due_soon)


def start_sla(doc: Document):
	response, due_soon = sla_settings()
	now = now_datetime()
	doc.sla_due_by = sla.due_by(now, response)
	doc.escalated = 0
	doc.sla_status = sla.status(doc.sla_due_by, now, due_soon)


def refresh_sla_status(doc: Document):
	if doc.sla_due_by:
		doc.sla_status = sla.status(get_datetime(doc.sla_due_by), now_datetime(), sla_settings()[1])


def escalate_breached_requests():
	"""Hourly: bring the SLA status of pending requests up to date; escalate each breach once."""
	_response, due_soon = sla_settings()
	now = now_datetime()
	rr = DocType(DOCTYPE)
	pending = (
		frappe.qb.from_(rr)
		.select(rr.name, rr.sla_due_by, rr.sla_status, rr.escalated)
		.where((rr.docstatus == 0) & rr.status.isin(PENDING_STATES) & rr.sla_due_by.isnotnull())
		.orderby(rr.sla_due_by)
	).run(as_dict=True)
	users = None
	for row in pending:
		status = sla.status(get_datetime(row.sla_due_by), now, due_soon)
		if status == sla.BREACHED and not row.escalated:
			if users is None:
				users = escalation_users()
			escalate(row.name, users)
		elif status != row.sla_status:
			frappe.db.set_value(DOCTYPE, row.name, "sla_status", status, update_modified=False)


def escalation_users() -> list[str]:
	"""Enabled System Users holding the escalation role of Refund Settings."""
	return users_with_role(frappe.get_cached_doc("Refund Settings").escalation_role or "Refund Manager")


def users_with_role(role: str) -> list[str]:
	"""Enabled System Users holding `role` (Administrator and Guest left out), by name."""
	has_role, user = DocType("Has Role"), DocType("User")
	return (
		frappe.qb.from_(has_role)
		.join(user)
		.on(user.name == has_role.parent)
		.select(user.name)
		.distinct()
		.where(
			(has_role.role == role)
			& (has_role.parenttype == "User")
			& (user.enabled == 1)
			& (user.user_type == "System User")
			& user.name.notin(["Administrator", "Guest"])
		)
		.orderby(user.name)
	).run(pluck=True)


def escalate(name: str, users: list[str]):
	"""Assign a breached request to the escalation users and mark it (one request).

	Frappe notifies each assignee of the assignment (bell, and e-mail through the Email Queue unless
	the user turned assignment e-mails off in their Notification Settings).
	"""
	frappe.db.savepoint("refund_escalation")
	try:
		doc = frappe.get_doc(DOCTYPE, name)
		due = format_datetime(doc.sla_due_by)
		if users:
			from frappe.desk.form.assign_to import add as assign

			assign(
				{
					"assign_to": users,
					"doctype": DOCTYPE,
					"name": name,
					"description": _("Refund Request {0} ({1}, {2}) is {3} and was due for a decision by {4}.").format(
						name, doc.customer_name, doc.get_formatted("refund_amount"), _(doc.status), due
					),
					"priority": "High",
				},
				ignore_permissions=True,
			)
			doc.add_comment("Info", _("Past its response time ({0}): escalated to {1}.").format(due, ", ".join(users)))
		else:
			doc.add_comment("Info", _("Past its response time ({0}): no enabled user holds the escalation role.").format(due))
		doc.db_set({"escalated": 1, "sla_status": sla.BREACHED}, update_modified=False)
	except Exception:
		frappe.db.rollback(save_point="refund_escalation")
		frappe.log_error(f"Escalation of Refund Request {name} failed", reference_doctype=DOCTYPE, reference_name=name)
	else:
		frappe.db.release_savepoint("refund_escalation")
