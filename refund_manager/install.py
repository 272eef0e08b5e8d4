"""Site setup for refund_manager: created idempotently on install and migrate, removed on uninstall.

Each `add_*` step checks what exists first, so running it twice (install, then migrate, then
migrate again) changes nothing the second time.
"""

import hashlib
import json

import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields
from frappe.utils import cint, cstr

from refund_manager import approval as wf

ROLES = ("Refund Approver", "Refund Manager")

DEFAULT_REASONS = (
	# reason, goods come back by default, evidence required, default refund type
	("Damaged", 1, 1, "Return"),
	("Wrong Item", 1, 0, "Return"),
	("Not as Described", 1, 1, "Return"),
	("Late Delivery", 0, 0, "Return"),
	("Changed Mind", 1, 0, "Return"),
	("Price Adjustment", 0, 0, "Price Adjustment"),
)

# Filled when never set (an administrator's value, even 0 or empty, is kept).
SETTINGS_DEFAULTS = {"response_hours": 24, "due_soon_hours": 4, "escalation_role": "Refund Manager"}

# Documents this app creates link back to their Refund Request (read only, never copied).
POSTED_DOCTYPES = ("Delivery Note", "Sales Invoice", "Payment Entry", "Journal Entry")


def get_custom_fields() -> dict:
	field = {
		"fieldname": "refund_request",
		"label": "Refund Request",
		"fieldtype": "Link",
		"options": "Refund Request",
		"read_only": 1,
		"no_copy": 1,
		"print_hide": 1,
		"search_index": 1,
		"insert_after": "amended_from",
		"module": "Refund Manager",
	}
	return {doctype: [dict(field)] for doctype in POSTED_DOCTYPES}


def after_install():
	add_roles()
	add_custom_fields()
	add_indexes()
	add_default_reasons()
	add_settings_defaults()
	add_workflow_masters()
	add_approval_email_template()
	add_workflow()


def after_migrate():
	after_install()


def before_uninstall():
	remove_workflow()
	remove_portal_menu()
	remove_indexes()
	remove_custom_fields()
	remove_roles()


# Refund Ledger reads what the GL holds for each posting of a refund by voucher: with every column it
# needs in one index, it never visits the rows of ERPNext's largest table (at 100,000 refunds the
# report went from seconds to a tenth of one: see README, "What it costs").
GL_INDEX = (
	"GL Entry",
	"refund_ledger_voucher_index",
	("voucher_no", "voucher_type", "is_cancelled", "party_type", "account", "debit", "credit"),
)
# ... and a company's approved requests of a period in date order, only these columns of them: from
# this index alone it reads no request row and sorts nothing (a year of 67,000 refunds: 0.4 s of the
# query's 1.2 s was the table scan and the sort).
REQUEST_INDEX = (
	"Refund Request",
	"refund_ledger_request_index",
	("company", "docstatus", "posting_date", "name", "customer", "status", "base_refund_amount"),
)
INDEXES = (GL_INDEX, REQUEST_INDEX)


def add_indexes():
	for doctype, name, fields in INDEXES:
		frappe.db.add_index(doctype, list(fields), name)  # only when missing (it commits when it adds)


def remove_indexes():
	for doctype, name, _fields in INDEXES:
		if frappe.db.has_index(f"tab{doctype}", name):
			frappe.db.sql_ddl(f"alter table `tab{doctype}` drop index `{name}`")


def add_roles():
	for role in ROLES:
		if not frappe.db.exists("Role", role):
			frappe.get_doc({"doctype": "Role", "role_name": role, "desk_access": 1}).insert(
				ignore_permissions=True
			)


def add_custom_fields():
	create_custom_fields(get_custom_fields(), ignore_validate=True)


def add_default_reasons():
	for reason, return_goods, requires_evidence, refund_type in DEFAULT_REASONS:
		if not frappe.db.exists("Refund Reason", reason):
			frappe.get_doc(
				{
					"doctype": "Refund Reason",
					"reason": reason,
					"return_goods_by_default": return_goods,
					"requires_evidence": requires_evidence,
					"default_refund_type": refund_type,
				}
			).insert(ignore_permissions=True)


def add_settings_defaults():
	"""Fill empty settings only: what an administrator has set is never overwritten."""
	settings = frappe.get_single("Refund Settings")
	changed = False
	if not settings.default_mode_of_payment:
		mode = "Cash" if frappe.db.exists("Mode of Payment", "Cash") else None
		if mode:
			settings.default_mode_of_payment = mode
			changed = True
	for fieldname, default in SETTINGS_DEFAULTS.items():
		if not _single_value_was_set("Refund Settings", fieldname):
			settings.set(fieldname, default)
			changed = True
	if changed:
		settings.flags.ignore_permissions = True
		settings.save()


def _single_value_was_set(doctype: str, fieldname: str) -> bool:
	"""Whether a Single's field was ever saved (0 or empty may be an administrator's choice)."""
	singles = frappe.qb.DocType("Singles")
	return bool(
		frappe.qb.from_(singles)
		.select(singles.field)
		.where((singles.doctype == doctype) & (singles.field == fieldname))
		.run()
	)


def remove_custom_fields():
	for doctype, fields in get_custom_fields().items():
		for field in fields:
			name = frappe.db.get_value("Custom Field", {"dt": doctype, "fieldname": field["fieldname"]})
			if name:
				frappe.delete_doc("Custom Field", name, ignore_permissions=True, force=True)
			# Frappe keeps the column of a deleted Custom Field; ours holds nothing anybody else needs
			if frappe.db.has_column(doctype, field["fieldname"]):
				frappe.db.sql_ddl(f"alter table `tab{doctype}` drop column `{field['fieldname']}`")
		frappe.clear_cache(doctype=doctype)


def remove_portal_menu():
	"""The "My Refunds" portal menu item (Frappe adds the hook's items on install and migrate)."""
	routes = {item["route"] for item in frappe.get_hooks("standard_portal_menu_items", app_name="refund_manager")}
	settings = frappe.get_single("Portal Settings")
	rows = [d for d in settings.menu if d.route in routes and d.reference_doctype == "Refund Request"]
	for row in rows:
		settings.remove(row)
	if rows:
		settings.save(ignore_permissions=True)


def remove_roles():
	for role in ROLES:
		if not frappe.db.exists("Role", role):
			continue
		for child_doctype in ("Has Role", "Custom DocPerm", "DocPerm"):
			frappe.db.delete(child_doctype, {"role": role})
		frappe.delete_doc("Role", role, ignore_permissions=True, force=True)


# ------------------------------------------------------------------ approval workflow

# Masters the workflow needs; Frappe ships some of them (Approved, Rejected, Approve, Reject):
# existing records are reused, and uninstall removes only those no other workflow uses.
WORKFLOW_STATES = {
	wf.DRAFT: "",
	wf.PENDING_APPROVAL: "Warning",
	wf.PENDING_FINANCE_APPROVAL: "Warning",
	wf.APPROVED: "Success",
	wf.REJECTED: "Danger",
	wf.CANCELLED: "Inverse",
}
# shipped by Frappe itself: never removed
FRAPPE_MASTERS = ("Approved", "Rejected", "Pending", "Approve", "Reject", "Review")
WORKFLOW_ACTIONS = (wf.SUBMIT_FOR_APPROVAL, wf.APPROVE, wf.REJECT, wf.APPEAL, wf.CANCEL)
APPROVAL_EMAIL_TEMPLATE = "Refund Request Approval Needed"
WORKFLOW_FINGERPRINT_KEY = "refund_manager_workflow_fingerprint"

REQUESTER_ROLES = ("Sales User", "Sales Manager", "Refund Approver", "Refund Manager")
APPELLANT_ROLES = ("Sales User", "Sales Manager")
# ERPNext's portal role: a customer submits their own request for approval and appeals a rejection
# from the portal (refund_manager.portal); they edit nothing, so no state's edit role is theirs
PORTAL_ROLES = ("Customer",)

# Workflow Document State fields and Workflow Transition fields compared to tell our workflow
# from one an administrator has edited.
STATE_FIELDS = ("state", "doc_status", "allow_edit", "send_email", "is_optional_state", "next_action_email_template")
TRANSITION_FIELDS = ("state", "action", "next_state", "allowed", "allow_self_approval", "condition")


def workflow_spec() -> dict:
	"""The workflow as this app ships it."""

	def state(name, doc_status, allow_edit, send_email=0, optional=0):
		return {
			"state": name,
			"doc_status": doc_status,
			"allow_edit": allow_edit,
			"send_email": send_email,
			# no Workflow Action (inbox entry) is made for transitions into an optional state
			"is_optional_state": optional,
			"next_action_email_template": APPROVAL_EMAIL_TEMPLATE if send_email else None,
		}

	def transition(from_state, action, to_state, role, self_approval=1, condition=None):
		return {
			"state": from_state,
			"action": action,
			"next_state": to_state,
			"allowed": role,
			"allow_self_approval": self_approval,
			"condition": condition,
		}

	states = [
		*(state(wf.DRAFT, "0", role) for role in ("Sales User", "Sales Manager", "Refund Manager")),
		# optional: drafts and appeals do not fill anybody's inbox
		state(wf.PENDING_APPROVAL, "0", "Refund Approver", send_email=1, optional=1),
		state(wf.PENDING_FINANCE_APPROVAL, "0", "Refund Manager", send_email=1),
		state(wf.APPROVED, "1", "Refund Manager"),
		*(state(wf.REJECTED, "0", role) for role in APPELLANT_ROLES),
		state(wf.CANCELLED, "2", "Refund Manager", optional=1),
	]
	transitions = [
		*(
			transition(wf.DRAFT, wf.SUBMIT_FOR_APPROVAL, wf.PENDING_APPROVAL, role, condition="doc.approval_level >= 1")
			for role in REQUESTER_ROLES + PORTAL_ROLES
		),
		# auto-approval: the rule decided, so reaching Approved (docstatus 1) needs no approver
		*(
			transition(wf.DRAFT, wf.SUBMIT_FOR_APPROVAL, wf.APPROVED, role, condition="doc.approval_level == 0")
			for role in REQUESTER_ROLES + PORTAL_ROLES
		),
		transition(wf.PENDING_APPROVAL, wf.APPROVE, wf.APPROVED, "Refund Approver", 0, "doc.approval_level == 1"),
		transition(
			wf.PENDING_APPROVAL, wf.APPROVE, wf.PENDING_FINANCE_APPROVAL, "Refund Approver", 0, "doc.approval_level == 2"
		),
		transition(wf.PENDING_APPROVAL, wf.REJECT, wf.REJECTED, "Refund Approver"),
		transition(wf.PENDING_FINANCE_APPROVAL, wf.APPROVE, wf.APPROVED, "Refund Manager", 0),
		transition(wf.PENDING_FINANCE_APPROVAL, wf.REJECT, wf.REJECTED, "Refund Manager"),
		*(transition(wf.REJECTED, wf.APPEAL, wf.PENDING_APPROVAL, role) for role in APPELLANT_ROLES + PORTAL_ROLES),
		transition(wf.APPROVED, wf.CANCEL, wf.CANCELLED, "Refund Manager"),
	]
	return {
		"doctype": "Workflow",
		"workflow_name": wf.WORKFLOW,
		"document_type": wf.DOCTYPE,
		"workflow_state_field": "workflow_state",
		"is_active": 1,
		"send_email_alert": 1,
		"override_status": 1,  # the list shows `status` (kept in step, plus Credited / Refunded)
		"states": states,
		"transitions": transitions,
	}


def workflow_fingerprint(workflow: dict) -> str:
	"""A hash of what matters in a workflow (a doc's as_dict() or the spec), for change detection."""

	def rows(table, fields):
		return [[cstr(cint(d.get(f)) if f in ("send_email", "is_optional_state", "allow_self_approval") else cstr(d.get(f))) for f in fields] for d in workflow.get(table) or []]

	content = {
		"header": [
			cstr(workflow.get(f))
			for f in ("document_type", "workflow_state_field", "is_active", "send_email_alert", "override_status")
		],
		"states": rows("states", STATE_FIELDS),
		"transitions": rows("transitions", TRANSITION_FIELDS),
	}
	return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()


def add_workflow_masters():
	for state, style in WORKFLOW_STATES.items():
		if not frappe.db.exists("Workflow State", state):
			frappe.get_doc({"doctype": "Workflow State", "workflow_state_name": state, "style": style}).insert(
				ignore_permissions=True
			)
	for action in WORKFLOW_ACTIONS:
		if not frappe.db.exists("Workflow Action Master", action):
			frappe.get_doc({"doctype": "Workflow Action Master", "workflow_action_name": action}).insert(
				ignore_permissions=True
			)


def add_approval_email_template():
	"""The e-mail approvers get with the workflow's approve / reject links."""
	if frappe.db.exists("Email Template", APPROVAL_EMAIL_TEMPLATE):
		return
	frappe.get_doc(
		{
			"doctype": "Email Template",
			"name": APPROVAL_EMAIL_TEMPLATE,
			"subject": "Refund Request {{ name }} ({{ customer_name }}) waits for your approval",
			"use_html": 1,
			"response_html": (
				"<p>Refund Request <b>{{ name }}</b> for {{ customer_name | e }} (Sales Order {{ sales_order }}), "
				"reason {{ refund_reason | e }}: {{ frappe.format_value(refund_amount, {'fieldtype': 'Currency', "
				"'options': currency}) }}, is {{ status }}.</p>"
				"{% if sla_due_by %}<p>Please respond by {{ frappe.format_value(sla_due_by, "
				"{'fieldtype': 'Datetime'}) }}.</p>{% endif %}"
				"{% if appeal_count %}<p>The requester has appealed a rejection ({{ appeal_count }}).</p>{% endif %}"
			),
		}
	).insert(ignore_permissions=True)


def add_workflow():
	"""Create the workflow, or bring it up to date unless an administrator has edited it since.

	The fingerprint of what this app last wrote is kept in the site defaults: a workflow whose
	fingerprint differs was changed by someone and is left alone; a missing one is created again.
	"""
	spec = workflow_spec()
	wanted = workflow_fingerprint(spec)
	if not frappe.db.exists("Workflow", wf.WORKFLOW):
		doc = frappe.get_doc(spec)
		doc.insert(ignore_permissions=True)
	else:
		doc = frappe.get_doc("Workflow", wf.WORKFLOW)
		current = workflow_fingerprint(doc.as_dict())
		if current == wanted or current != frappe.db.get_default(WORKFLOW_FINGERPRINT_KEY):
			return  # up to date, or edited by an administrator
		doc.update({key: value for key, value in spec.items() if key != "doctype"})
		doc.save(ignore_permissions=True)
	frappe.db.set_default(WORKFLOW_FINGERPRINT_KEY, workflow_fingerprint(doc.as_dict()))


def remove_workflow():
	if frappe.db.exists("Workflow", wf.WORKFLOW):
		frappe.delete_doc("Workflow", wf.WORKFLOW, ignore_permissions=True, force=True)
	frappe.db.delete("Workflow Action", {"reference_doctype": wf.DOCTYPE})
	frappe.defaults.clear_default(WORKFLOW_FINGERPRINT_KEY)
	used_states = set(frappe.get_all("Workflow Document State", pluck="state", distinct=True))
	used_states.update(frappe.get_all("Workflow Transition", pluck="next_state", distinct=True))
	used_actions = set(frappe.get_all("Workflow Transition", pluck="action", distinct=True))
	# force: only our own requests (dropped with the app) still link to these states
	for state in WORKFLOW_STATES:
		if state not in used_states and state not in FRAPPE_MASTERS:
			frappe.delete_doc_if_exists("Workflow State", state, force=True)
	for action in WORKFLOW_ACTIONS:
		if action not in used_actions and action not in FRAPPE_MASTERS:
			frappe.delete_doc_if_exists("Workflow Action Master", action, force=True)
	if frappe.db.exists("Email Template", APPROVAL_EMAIL_TEMPLATE):
		frappe.delete_doc("Email Template", APPROVAL_EMAIL_TEMPLATE, ignore_permissions=True, force=True)
	frappe.cache.hdel("workflow", wf.DOCTYPE)
