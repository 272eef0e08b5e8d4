# Copyright (c) 2026, refund_manager developers
# For license information, please see license.txt
"""Refund SLA Aging: open (pending) requests by age and SLA status, with who must act on each.

Age is counted from `requested_on` (first submitted for approval) to now, in the buckets of
`refund_manager.core.aging`. The SLA status is computed now from the due time (the stored one is
brought up to date hourly). The current approver is the user an open assignment (ToDo) names, for
instance after an escalation; otherwise the users holding a role the workflow allows to act at the
request's state, the requester left out.
"""

from collections import defaultdict

import frappe
from frappe import _
from frappe.query_builder import DocType
from frappe.utils import now_datetime

from refund_manager import approval
from refund_manager.core import aging, sla
from refund_manager.reporting import company_currency, request_conditions

SLA_STATUSES = (sla.ON_TRACK, sla.DUE_SOON, sla.BREACHED)
CHART_COLORS = ("#29cd42", "#ecad4b", "#e24c4c")


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	now = now_datetime()
	requests = open_requests(filters)
	_response, due_soon = approval.sla_settings()
	assigned = open_assignments(filters)
	approvers = Approvers()
	currency = company_currency(filters.company)
	data = []
	for r in requests:
		age = aging.age_hours(r.requested_on, now)
		status = sla.status(r.sla_due_by, now, due_soon) if r.sla_due_by else r.sla_status
		roles, users = approvers.at(r.status, r.owner)
		data.append(
			{
				"refund_request": r.name,
				"customer": r.customer,
				"status": r.status,
				"refund_reason": r.refund_reason,
				"base_refund_amount": r.base_refund_amount,
				"requested_on": r.requested_on,
				"age_hours": age,
				"age_bucket": aging.bucket(age),
				"sla_due_by": r.sla_due_by,
				"sla_status": status,
				"approver_role": ", ".join(roles),
				"current_approver": ", ".join(assigned.get(r.name) or users),
				"assigned": 1 if assigned.get(r.name) else 0,
				"currency": currency or company_currency(r.company),
			}
		)
	counts = aging.counts_by_bucket(((d["age_bucket"], d["sla_status"]) for d in data), SLA_STATUSES)
	return get_columns(), data, None, chart(counts), summary(data)


def get_columns() -> list[dict]:
	return [
		{"fieldname": "refund_request", "label": _("Refund Request"), "fieldtype": "Link", "options": "Refund Request", "width": 150},
		{"fieldname": "customer", "label": _("Customer"), "fieldtype": "Link", "options": "Customer", "width": 150},
		{"fieldname": "status", "label": _("Status"), "fieldtype": "Data", "width": 175},
		{"fieldname": "refund_reason", "label": _("Reason"), "fieldtype": "Link", "options": "Refund Reason", "width": 135},
		{"fieldname": "base_refund_amount", "label": _("Refund"), "fieldtype": "Currency", "options": "currency", "width": 110},
		{"fieldname": "requested_on", "label": _("Requested On"), "fieldtype": "Datetime", "width": 175},
		{"fieldname": "age_hours", "label": _("Age (hours)"), "fieldtype": "Float", "precision": 1, "width": 110},
		{"fieldname": "age_bucket", "label": _("Age"), "fieldtype": "Data", "width": 90},
		{"fieldname": "sla_due_by", "label": _("Response Due By"), "fieldtype": "Datetime", "width": 175},
		{"fieldname": "sla_status", "label": _("SLA Status"), "fieldtype": "Data", "width": 115},
		{"fieldname": "approver_role", "label": _("Approver Role"), "fieldtype": "Data", "width": 140},
		{"fieldname": "current_approver", "label": _("Current Approver"), "fieldtype": "Data", "width": 220},
		{"fieldname": "assigned", "label": _("Assigned"), "fieldtype": "Check", "width": 80},
		{"fieldname": "currency", "label": _("Currency"), "fieldtype": "Link", "options": "Currency", "hidden": 1},
	]


def pending_condition(rr, filters):
	condition = (rr.docstatus == 0) & rr.status.isin(approval.PENDING_STATES)
	return request_conditions(rr, filters, condition, dates=False)


def open_requests(filters) -> list[frappe._dict]:
	rr = DocType("Refund Request")
	return (
		frappe.qb.from_(rr)
		.select(
			rr.name,
			rr.owner,
			rr.company,
			rr.customer,
			rr.status,
			rr.refund_reason,
			rr.base_refund_amount,
			rr.requested_on,
			rr.sla_due_by,
			rr.sla_status,
		)
		.where(pending_condition(rr, filters))
		.orderby(rr.requested_on)
		.orderby(rr.name)
	).run(as_dict=True)


def open_assignments(filters) -> dict[str, list[str]]:
	"""Open ToDos on the open requests: request -> users."""
	rr, todo = DocType("Refund Request"), DocType("ToDo")
	pending = frappe.qb.from_(rr).select(rr.name).where(pending_condition(rr, filters))
	rows = (
		frappe.qb.from_(todo)
		.select(todo.reference_name, todo.allocated_to)
		.distinct()
		.where(
			(todo.reference_type == approval.DOCTYPE)
			& (todo.status == "Open")
			& todo.reference_name.isin(pending)
		)
		.orderby(todo.allocated_to)
	).run()
	assigned = defaultdict(list)
	for name, user in rows:
		assigned[name].append(user)
	return assigned


class Approvers:
	"""Who may act at a workflow state: roles from the transitions, their users (read once each)."""

	def __init__(self):
		workflow = approval.active_workflow()
		self.transitions = [
			aging.Transition(t.state, t.action, t.allowed) for t in (workflow.transitions if workflow else [])
		]
		self.users_by_role: dict[str, list[str]] = {}

	def at(self, state: str, requester: str | None) -> tuple[list[str], list[str]]:
		roles = aging.acting_roles(state, self.transitions)
		for role in roles:
			if role not in self.users_by_role:
				self.users_by_role[role] = approval.users_with_role(role)
		return roles, aging.approvers(roles, self.users_by_role, requester)


def chart(counts: dict[str, dict[str, int]]) -> dict | None:
	if not any(any(by_bucket.values()) for by_bucket in counts.values()):
		return None
	return {
		"data": {
			"labels": [_(label) for label in aging.BUCKET_LABELS],
			"datasets": [
				{"name": _(status), "values": [counts[status][label] for label in aging.BUCKET_LABELS]}
				for status in SLA_STATUSES
			],
		},
		"type": "bar",
		"barOptions": {"stacked": 1},
		"colors": list(CHART_COLORS),
	}


def summary(data: list[dict]) -> list[dict]:
	if not data:
		return []
	oldest = aging.BUCKET_LABELS[-1]
	return [
		{"value": len(data), "label": _("Open Requests"), "datatype": "Int"},
		{
			"value": sum(1 for d in data if d["sla_status"] == sla.BREACHED),
			"label": _("Breached"),
			"datatype": "Int",
			"indicator": "Red",
		},
		{"value": sum(1 for d in data if d["age_bucket"] == oldest), "label": _("Older than 72 h"), "datatype": "Int"},
		{"value": sum(1 for d in data if d["assigned"]), "label": _("Assigned"), "datatype": "Int"},
	]
