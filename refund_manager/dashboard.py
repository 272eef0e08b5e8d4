"""Number cards of the Refunds workspace that a Document Type card cannot express."""

import frappe
from frappe import _
from frappe.query_builder import DocType
from frappe.query_builder.functions import Avg, Count
from frappe.utils import add_days, flt, now_datetime

from refund_manager.reporting import ToSeconds

AVERAGE_WINDOW_DAYS = 30  # "Average Hours to Approve": requests approved in the last 30 days


def equality_filters(filters) -> dict[str, str]:
	"""`field = value` filters on Refund Request fields, from a card's filters (list or dict form)."""
	if isinstance(filters, str):
		try:
			filters = frappe.parse_json(filters) if filters.strip() else None
		except ValueError:
			filters = False
	if filters is not None and not isinstance(filters, dict | list):
		frappe.throw(_("The card's filters must be a list or a dictionary."), frappe.ValidationError)
	meta = frappe.get_meta("Refund Request")
	if isinstance(filters, dict):
		pairs = [(field, value) for field, value in filters.items() if not isinstance(value, list | tuple)]
	else:
		pairs = [
			(f[1], f[3])
			for f in filters or []
			if isinstance(f, list | tuple) and len(f) >= 4 and f[0] in (None, "Refund Request") and f[2] == "="
		]
	return {
		field: value
		for field, value in pairs
		if isinstance(field, str) and isinstance(value, str | int | float) and value and meta.has_field(field)
	}


@frappe.whitelist()
def average_hours_to_approve(filters: str | list | dict | None = None) -> dict:
	"""Mean hours from request to approval of the requests approved in the last 30 days."""
	frappe.has_permission("Refund Request", "read", throw=True)
	rr = DocType("Refund Request")
	condition = (
		rr.approved_on.isnotnull()
		& rr.requested_on.isnotnull()
		& (rr.approved_on >= add_days(now_datetime(), -AVERAGE_WINDOW_DAYS))
	)
	equal = equality_filters(filters)
	for field, value in equal.items():
		condition &= rr[field] == value
	seconds = ToSeconds(rr.approved_on) - ToSeconds(rr.requested_on)
	average, count = frappe.qb.from_(rr).select(Avg(seconds), Count(rr.name)).where(condition).run()[0]
	return {
		"value": flt(flt(average) / 3600, 1) if count else 0,
		"fieldtype": "Float",
		"precision": 1,
		"route": ["query-report", "Refund Analytics"],
		"route_options": {"company": equal.get("company")} if equal.get("company") else {},
	}
