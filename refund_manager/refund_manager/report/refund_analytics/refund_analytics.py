# Copyright (c) 2026, refund_manager developers
# For license information, please see license.txt
"""Refund Analytics: where refunds come from and how fast they move, grouped by reason, item, item
group, customer or month. The figures are defined in `refund_manager.core.analytics`.

Share of sales = refunded amount / sales of the same group and period, where sales = submitted
Sales Orders of the company dated in the period: each line's net amount (after discounts) plus its
pro rata share of the order's taxes, in company currency - what the customer was charged, on the
same footing as a refund (which gives back the line's net rate and its share of taxes, less fees).
Grouped by reason, a group's share is of all the period's sales (orders have no reason).
"""

from collections import defaultdict

import frappe
from frappe import _
from frappe.query_builder import Case, DocType
from frappe.query_builder.functions import Sum
from frappe.utils import cint, flt, getdate

from refund_manager.core import analytics
from refund_manager.reporting import company_currency, item_group_and_subgroups, request_conditions

REASON, ITEM, ITEM_GROUP, CUSTOMER, MONTH = "Reason", "Item", "Item Group", "Customer", "Month"
GROUP_BY = (REASON, ITEM, ITEM_GROUP, CUSTOMER, MONTH)
CHART_GROUPS = 10  # the largest groups charted (all months)

def definitions() -> str:
	return _(
		"Refunded: Refunded and Credited requests, in company currency. Share of sales: refunded / sales of "
		"the same group and period (submitted Sales Orders dated in the period, lines with their share of "
		"taxes). Approval rate: approved / (approved + rejected). Hours from the request (first submitted "
		"for approval) to approval and to refund: average and 90th percentile. Rating: average stars of "
		"the rated requests."
	)


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	group_by = filters.group_by or REASON
	if group_by not in GROUP_BY:
		frappe.throw(_("Group By must be one of {0}.").format(", ".join(GROUP_BY)))
	precision = cint(frappe.db.get_default("currency_precision")) or 2
	entries = request_entries(filters, group_by)
	sales_by_group, sales_total = sales(filters, group_by)
	rows, total = analytics.summarize(entries, sales_by_group, sales_total, precision)
	rows = analytics.ordered(rows, chronological=group_by == MONTH)
	currency = company_currency(filters.company)
	data = [row_dict(r, currency) for r in rows]
	if data:
		data.append({**row_dict(total, currency), "group": _("Total"), "bold": 1})
	return get_columns(group_by), data, definitions(), chart(rows, group_by, currency), summary(total, currency)


def get_columns(group_by: str) -> list[dict]:
	currency = {"fieldtype": "Currency", "options": "currency", "width": 130}
	hours = {"fieldtype": "Float", "precision": 1, "width": 110}
	return [
		{"fieldname": "group", "label": _(group_by), "fieldtype": "Data", "width": 200},
		{"fieldname": "count", "label": _("Requests"), "fieldtype": "Int", "width": 90},
		{"fieldname": "refunded_amount", "label": _("Refunded"), **currency},
		{"fieldname": "sales", "label": _("Sales"), **currency},
		{"fieldname": "share_of_sales", "label": _("Share of Sales %"), "fieldtype": "Percent", "width": 110},
		{"fieldname": "approved", "label": _("Approved"), "fieldtype": "Int", "width": 90},
		{"fieldname": "rejected", "label": _("Rejected"), "fieldtype": "Int", "width": 90},
		{"fieldname": "approval_rate", "label": _("Approval Rate %"), "fieldtype": "Percent", "width": 110},
		{"fieldname": "avg_hours_to_approve", "label": _("Hours to Approve (avg)"), **hours},
		{"fieldname": "p90_hours_to_approve", "label": _("Hours to Approve (p90)"), **hours},
		{"fieldname": "avg_hours_to_refund", "label": _("Hours to Refund (avg)"), **hours},
		{"fieldname": "p90_hours_to_refund", "label": _("Hours to Refund (p90)"), **hours},
		{"fieldname": "avg_rating", "label": _("Rating (stars)"), "fieldtype": "Float", "precision": 2, "width": 100},
		{"fieldname": "rated", "label": _("Ratings"), "fieldtype": "Int", "width": 80},
		{"fieldname": "currency", "label": _("Currency"), "fieldtype": "Link", "options": "Currency", "hidden": 1},
	]


def percent(fraction: float | None) -> float | None:
	return None if fraction is None else flt(fraction * 100, 2)


def row_dict(r: analytics.GroupFigures, currency: str | None) -> dict:
	return {
		"group": r.group,
		"count": r.count,
		"refunded_amount": r.refunded_amount,
		"sales": r.sales,
		"share_of_sales": percent(r.share_of_sales),
		"approved": r.approved,
		"rejected": r.rejected,
		"approval_rate": percent(r.approval_rate),
		"avg_hours_to_approve": r.avg_hours_to_approve,
		"p90_hours_to_approve": r.p90_hours_to_approve,
		"avg_hours_to_refund": r.avg_hours_to_refund,
		"p90_hours_to_refund": r.p90_hours_to_refund,
		"avg_rating": r.avg_stars,
		"rated": r.rated,
		"currency": currency,
	}


# ------------------------------------------------------------------ refund requests


def request_entries(filters, group_by: str) -> list[tuple[analytics.RequestFacts, dict[str, float]]]:
	"""Each request that left Draft, with the groups it belongs to and each group's share of it."""
	rr = DocType("Refund Request")
	query = frappe.qb.from_(rr).select(
		rr.name,
		rr.status,
		rr.docstatus,
		rr.base_refund_amount,
		rr.requested_on,
		rr.approved_on,
		rr.refunded_on,
		rr.feedback_rating,
	)
	query = query.where(request_conditions(rr, filters, rr.status != "Draft"))
	if group_by in (ITEM, ITEM_GROUP):
		return entries_by_line(query, rr, filters, group_by)
	key_field = {REASON: rr.refund_reason, CUSTOMER: rr.customer, MONTH: rr.posting_date}[group_by]
	rows = query.select(key_field.as_("group_key")).run(as_dict=True)
	return [(request_facts(r), {group_key(r.group_key, group_by): 1.0}) for r in rows]


def entries_by_line(query, rr, filters, group_by: str):
	"""Grouped by item or item group: a request's share in each group is pro rata to its lines' value
	(amount + tax); with an item group filter, only the lines in that group are shown."""
	rri, item = DocType("Refund Request Item"), DocType("Item")
	key_field = rri.item_code if group_by == ITEM else item.item_group
	rows = (
		query.join(rri)
		.on((rri.parent == rr.name) & (rri.parenttype == "Refund Request"))
		.left_join(item)
		.on(item.name == rri.item_code)
		.select(
			key_field.as_("group_key"),
			item.item_group,
			(rri.amount + rri.tax_amount).as_("line_value"),
		)
		.orderby(rr.name)
		.run(as_dict=True)
	)
	shown_groups = set(item_group_and_subgroups(filters.item_group)) if filters.item_group else None
	lines_by_request = defaultdict(list)
	for r in rows:
		lines_by_request[r.name].append(r)
	entries = []
	for lines in lines_by_request.values():
		shares = analytics.line_shares((line.group_key or "", flt(line.line_value)) for line in lines)
		if shown_groups is not None:
			shown = {line.group_key or "" for line in lines if line.item_group in shown_groups}
			shares = {key: weight for key, weight in shares.items() if key in shown}
		entries.append((request_facts(lines[0]), shares))
	return entries


def request_facts(r) -> analytics.RequestFacts:
	return analytics.RequestFacts(
		name=r.name,
		outcome=analytics.outcome(r.status, bool(r.approved_on) or cint(r.docstatus) > 0),
		refunded_amount=analytics.refunded_amount(r.status, flt(r.base_refund_amount)),
		hours_to_approve=analytics.hours_between(r.requested_on, r.approved_on),
		hours_to_refund=analytics.hours_between(r.requested_on, r.refunded_on),
		stars=analytics.stars(flt(r.feedback_rating)),
	)


def group_key(value, group_by: str) -> str:
	if group_by == MONTH:
		return analytics.month_key(getdate(value))
	return value or ""


# ------------------------------------------------------------------ sales


def sales(filters, group_by: str) -> tuple[dict[str, float] | None, float]:
	"""Sales per group (see the module's docstring; None by reason) and in total, in company currency."""
	so, soi, item = DocType("Sales Order"), DocType("Sales Order Item"), DocType("Item")
	with_taxes = Case().when(
		so.base_net_total != 0, (so.base_net_total + so.base_total_taxes_and_charges) / so.base_net_total
	).else_(1)
	condition = so.docstatus == 1
	if filters.company:
		condition &= so.company == filters.company
	if filters.from_date:
		condition &= so.transaction_date >= filters.from_date
	if filters.to_date:
		condition &= so.transaction_date <= filters.to_date
	if filters.customer:
		condition &= so.customer == filters.customer
	if filters.item_group:
		condition &= item.item_group.isin(item_group_and_subgroups(filters.item_group))
	query = (
		frappe.qb.from_(so)
		.join(soi)
		.on((soi.parent == so.name) & (soi.parenttype == "Sales Order"))
		.left_join(item)
		.on(item.name == soi.item_code)
		.select(Sum(soi.base_net_amount * with_taxes).as_("sales"))
		.where(condition)
	)
	if group_by == REASON:
		return None, flt(query.run()[0][0])
	key_field = {ITEM: soi.item_code, ITEM_GROUP: item.item_group, CUSTOMER: so.customer, MONTH: so.transaction_date}[
		group_by
	]
	by_group: dict[str, float] = defaultdict(float)
	for amount, key in query.select(key_field.as_("group_key")).groupby(key_field).run():
		by_group[group_key(key, group_by)] += flt(amount)
	return dict(by_group), sum(by_group.values())


# ------------------------------------------------------------------ chart and summary


def chart(rows: list[analytics.GroupFigures], group_by: str, currency: str | None) -> dict | None:
	shown = rows if group_by == MONTH else rows[:CHART_GROUPS]
	if not shown:
		return None
	return {
		"data": {
			"labels": [r.group for r in shown],
			"datasets": [{"name": _("Refunded"), "values": [r.refunded_amount for r in shown]}],
		},
		"type": "bar",
		"fieldtype": "Currency",
		"options": currency,
		"colors": ["#e24c4c"],
	}


def summary(total: analytics.GroupFigures, currency: str | None) -> list[dict]:
	if not total.count:
		return []
	return [
		{"value": total.count, "label": _("Requests"), "datatype": "Int"},
		{"value": total.refunded_amount, "label": _("Refunded"), "datatype": "Currency", "currency": currency},
		{"value": percent(total.share_of_sales) or 0, "label": _("Share of Sales %"), "datatype": "Percent"},
		{"value": percent(total.approval_rate) or 0, "label": _("Approval Rate %"), "datatype": "Percent"},
		{"value": flt(total.avg_hours_to_approve, 1), "label": _("Hours to Approve (avg)"), "datatype": "Float"},
		{"value": flt(total.avg_stars, 2), "label": _("Rating (stars)"), "datatype": "Float"},
	]
