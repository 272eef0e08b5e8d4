"""Refund policies on a site: the frappe side of `refund_manager.core.policy`.

Loads the company's policies and the request's groups, dates and recent refunds as plain values,
and turns the core's problems into translated sentences that name the policy and its rule.
"""

import frappe
from frappe import _
from frappe.query_builder import Order
from frappe.query_builder.functions import Count, Max
from frappe.utils import add_days, escape_html, flt, getdate

from refund_manager.core import policy as core
from refund_manager.core.problems import Problem

DOCTYPE = "Refund Policy"
OVERRIDE_ROLE = "Refund Manager"
FEE_EDITOR_ROLES = ("Refund Manager", "Refund Approver")
# Refund Requests in these states are not refunds a customer has had (frequency flag).
NOT_COUNTED = ("Rejected", "Cancelled")


def policies_of(company: str) -> list[core.Policy]:
	rows = frappe.get_all(
		DOCTYPE,
		filters={"company": company, "enabled": 1},
		fields=[
			"name",
			"company",
			"customer_group",
			"item_group",
			"return_window_days",
			"requires_evidence",
			"restocking_fee_percent",
			"shipping_refundable",
			"frequency_limit",
			"frequency_days",
			"review_amount_above",
		],
	)
	if not rows:
		return []
	names = [r.name for r in rows]
	reasons: dict[str, set[str]] = {}
	for r in frappe.get_all(
		"Refund Policy Reason",
		filters={"parenttype": DOCTYPE, "parent": ["in", names]},
		fields=["parent", "refund_reason"],
	):
		reasons.setdefault(r.parent, set()).add(r.refund_reason)
	fees: dict[str, dict[str, float]] = {}
	for r in frappe.get_all(
		"Refund Policy Fee",
		filters={"parenttype": DOCTYPE, "parent": ["in", names]},
		fields=["parent", "refund_reason", "restocking_fee_percent"],
	):
		fees.setdefault(r.parent, {})[r.refund_reason] = flt(r.restocking_fee_percent)
	return [
		core.Policy(
			name=r.name,
			company=r.company,
			customer_group=r.customer_group,
			item_group=r.item_group,
			return_window_days=int(r.return_window_days or 0),
			allowed_reasons=frozenset(reasons.get(r.name, ())),
			requires_evidence=bool(r.requires_evidence),
			restocking_fee_percent=flt(r.restocking_fee_percent),
			reason_fee_percent=fees.get(r.name, {}),
			shipping_refundable=bool(r.shipping_refundable),
			frequency_limit=int(r.frequency_limit or 0),
			frequency_days=int(r.frequency_days or 0),
			review_amount_above=flt(r.review_amount_above),
		)
		for r in rows
	]


def group_distances(doctype: str, name: str | None) -> dict[str, int]:
	"""The group and its parents, each with its distance from the group (0 for itself)."""
	if not name:
		return {}
	bounds = frappe.db.get_value(doctype, name, ["lft", "rgt"])
	if not bounds:
		return {}
	t = frappe.qb.DocType(doctype)
	names = (
		frappe.qb.from_(t)
		.select(t.name)
		.where((t.lft <= bounds[0]) & (t.rgt >= bounds[1]))
		.orderby(t.lft, order=Order.desc)
		.run(pluck=True)
	)
	return {group: distance for distance, group in enumerate(names)}


def candidate_of(doc) -> core.Candidate:
	customer_group = frappe.db.get_value("Customer", doc.customer, "customer_group")
	item_codes = sorted({d.item_code for d in doc.items if d.item_code})
	item_groups = dict(
		frappe.get_all("Item", filters={"name": ["in", item_codes]}, fields=["name", "item_group"], as_list=True)
	) if item_codes else {}
	by_group: dict[str, dict[str, int]] = {}
	for group in set(item_groups.values()):
		by_group[group] = group_distances("Item Group", group)
	return core.Candidate(
		company=doc.company,
		customer_groups=group_distances("Customer Group", customer_group),
		item_groups=tuple(by_group.get(item_groups.get(code), {}) for code in item_codes),
	)


def select_for(doc) -> core.Policy | None:
	policies = policies_of(doc.company)
	return core.select(policies, candidate_of(doc)) if policies else None  # no groups read without policies


def facts_of(doc, policy: core.Policy, has_evidence: bool | None = None) -> core.Facts:
	request_date = getdate(doc.posting_date)
	return core.Facts(
		refund_reason=doc.refund_reason,
		request_date=request_date,
		window_start=window_start_of(doc),
		amount=flt(doc.base_refund_amount),
		recent_refunds=recent_refunds(doc, policy.frequency_days, request_date) if policy.frequency_limit else 0,
		has_evidence=has_evidence,
	)


def window_start_of(doc):
	"""Last delivery of the refunded lines, else their last invoice (see core.policy.window_start)."""
	lines = [d.sales_order_item for d in doc.items if d.sales_order_item]
	if not lines:
		return None
	dates = {}
	for doctype in ("Delivery Note", "Sales Invoice"):
		parent, child = frappe.qb.DocType(doctype), frappe.qb.DocType(f"{doctype} Item")
		dates[doctype] = (
			frappe.qb.from_(child)
			.join(parent)
			.on(parent.name == child.parent)
			.select(Max(parent.posting_date))
			.where((child.so_detail.isin(lines)) & (parent.docstatus == 1) & (parent.is_return == 0))
			.run()[0][0]
		)
	return core.window_start([dates["Delivery Note"]], [dates["Sales Invoice"]])


def recent_refunds(doc, days: int, request_date) -> int:
	"""The customer's other live refunds dated within `days` before this request (inclusive)."""
	rr = frappe.qb.DocType("Refund Request")
	query = (
		frappe.qb.from_(rr)
		.select(Count(rr.name))
		.where(
			(rr.customer == doc.customer)
			& (rr.docstatus < 2)
			& rr.status.notin(NOT_COUNTED)
			& (rr.posting_date >= add_days(request_date, -days))
			& (rr.posting_date <= request_date)
		)
	)
	if not doc.is_new():
		query = query.where(rr.name != doc.name)
	return int(query.run()[0][0] or 0)


def may_override(user: str | None = None) -> bool:
	return OVERRIDE_ROLE in frappe.get_roles(user)


def may_edit_fees(user: str | None = None) -> bool:
	roles = set(frappe.get_roles(user))
	return any(role in roles for role in FEE_EDITOR_ROLES)


# ------------------------------------------------------------------ messages


def violation_message(policy_name: str, problem: Problem) -> str:
	v = problem.values
	name = frappe.bold(escape_html(policy_name))
	if problem.code == "outside_window":
		return _("Return window of {0}: requested {1} days after delivery or invoice on {2}; the policy allows {3} days.").format(
			name, v["days"], frappe.format_value(v["since"], {"fieldtype": "Date"}), v["window"]
		)
	if problem.code == "reason_not_allowed":
		return _("Allowed reasons of {0}: {1} is not one of {2}.").format(
			name,
			frappe.bold(escape_html(v["reason"] or "")),
			", ".join(escape_html(r) for r in v["allowed"]),
		)
	if problem.code == "evidence_missing":
		return _("Evidence rule of {0}: attach a photo or document before the request goes for approval.").format(name)
	raise KeyError(problem.code)


def flag_message(policy_name: str, problem: Problem, currency: str | None = None) -> str:
	v = problem.values
	name = frappe.bold(escape_html(policy_name))
	if problem.code == "frequency":
		return _("Frequency limit of {0}: the customer already has {1} refunds within {2} days (limit {3}).").format(
			name, v["count"], v["days"], v["limit"]
		)
	if problem.code == "amount":
		return _("Amount limit of {0}: {1} is above {2}.").format(
			name,
			frappe.format_value(v["amount"], {"fieldtype": "Currency", "options": currency}),
			frappe.format_value(v["limit"], {"fieldtype": "Currency", "options": currency}),
		)
	raise KeyError(problem.code)


def fee_description(policy_name: str, fee: core.Fee, currency: str | None = None) -> str:
	if fee.deduction_type == core.RESTOCKING_FEE:
		return _("Restocking fee {0}% of {1} ({2})").format(
			f"{flt(fee.percent):g}",
			frappe.format_value(fee.base, {"fieldtype": "Currency", "options": currency}),
			policy_name,
		)
	return _("Shipping charges not refundable ({0})").format(policy_name)
