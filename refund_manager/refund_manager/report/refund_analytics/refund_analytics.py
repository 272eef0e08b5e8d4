# Copyright (c) 2026, refund_manager developers
# For license information, please see license.txt
"""Refund Analytics: where refunds come from and how fast they move, grouped by reason, item, item
group, customer or month. The figures are defined in `refund_manager.core.analytics`.

Share of sales = refunded amount / sales of the same group and period, where sales = submitted
Sales Orders of the company dated in the period: each line's net amount (after discounts) plus its
pro rata share of the order's taxes, in company currency - what the customer was charged, on the
same footing as a refund (which gives back the line's net rate and its share of taxes, less fees).
Grouped by reason, a group's share is of all the period's sales (orders have no reason).

Everything is counted and summed by the database (with frappe.qb): per group, a row of sums and
two histograms of durations; `core.analytics` makes the figures of them.
"""

import frappe
from frappe import _
from frappe.query_builder import Case, DocType
from frappe.query_builder.functions import Count, DateFormat, Round, Sum
from frappe.utils import cint, flt
from pypika.terms import ValueWrapper

from refund_manager.core import analytics
from refund_manager.reporting import ToSeconds, company_currency, item_group_and_subgroups, request_conditions

REASON, ITEM, ITEM_GROUP, CUSTOMER, MONTH = "Reason", "Item", "Item Group", "Customer", "Month"
GROUP_BY = (REASON, ITEM, ITEM_GROUP, CUSTOMER, MONTH)
LINE_GROUPS = (ITEM, ITEM_GROUP)  # a request's lines may fall in several groups
CHART_GROUPS = 10  # the largest groups charted (all months)
MONTH_FORMAT = "%Y-%m"
REFUNDED_STATUSES = ("Refunded", "Credited")


def definitions() -> str:
	return _(
		"Refunded: Refunded and Credited requests, in company currency. Share of sales: refunded / sales of "
		"the same group and period (submitted Sales Orders dated in the period, lines with their share of "
		"taxes). Approval rate: approved / (approved + rejected). Hours from the request (first submitted "
		"for approval) to approval and to refund: average and 90th percentile, in 6-minute steps. Rating: average stars of "
		"the rated requests."
	)


def execute(filters: dict | None = None):
	filters = frappe._dict(filters or {})
	group_by = filters.group_by or REASON
	if group_by not in GROUP_BY:
		frappe.throw(_("Group By must be one of {0}.").format(", ".join(GROUP_BY)))
	precision = cint(frappe.db.get_default("currency_precision")) or 2
	sales_by_group, sales_total = sales(filters, group_by)
	rows = [
		analytics.figures(
			sums, sales_total if sales_by_group is None else sales_by_group.get(key, 0.0), precision
		)
		for key, sums in request_sums(filters, group_by).items()
	]
	rows = analytics.ordered(rows, chronological=group_by == MONTH)
	total_sums = request_sums(filters, group_by, grouped=False).get("", analytics.GroupSums(""))
	total = analytics.figures(total_sums, sales_total, precision)
	currency = company_currency(filters.company)
	data = [row_dict(r, currency) for r in rows]
	if data:
		data.append({**row_dict(total, currency), "group": _("Total"), "bold": 1})
	return (
		get_columns(group_by),
		data,
		definitions(),
		chart(rows, group_by, currency),
		summary(total, currency),
	)


def get_columns(group_by: str) -> list[dict]:
	currency = {"fieldtype": "Currency", "options": "currency", "width": 115}
	hours = {"fieldtype": "Float", "precision": 1, "width": 135}
	count = {"fieldtype": "Int", "width": 100}
	percent_ = {"fieldtype": "Percent", "width": 130}
	return [
		{"fieldname": "group", "label": _(group_by), "fieldtype": "Data", "width": 170},
		{"fieldname": "count", "label": _("Requests"), **count},
		{"fieldname": "refunded_amount", "label": _("Refunded"), **currency},
		{"fieldname": "sales", "label": _("Sales"), **currency},
		{"fieldname": "share_of_sales", "label": _("Share of Sales"), **percent_},
		{"fieldname": "approved", "label": _("Approved"), **count},
		{"fieldname": "rejected", "label": _("Rejected"), **count},
		{"fieldname": "approval_rate", "label": _("Approval Rate"), **percent_},
		{"fieldname": "avg_hours_to_approve", "label": _("Approval h (avg)"), **hours},
		{"fieldname": "p90_hours_to_approve", "label": _("Approval h (p90)"), **hours},
		{"fieldname": "avg_hours_to_refund", "label": _("Refund h (avg)"), **hours},
		{"fieldname": "p90_hours_to_refund", "label": _("Refund h (p90)"), **hours},
		{
			"fieldname": "avg_rating",
			"label": _("Rating (stars)"),
			"fieldtype": "Float",
			"precision": 1,
			"width": 120,
		},
		{"fieldname": "rated", "label": _("Ratings"), **count},
		{
			"fieldname": "currency",
			"label": _("Currency"),
			"fieldtype": "Link",
			"options": "Currency",
			"hidden": 1,
		},
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


def request_sums(filters, group_by: str, grouped: bool = True) -> dict[str, analytics.GroupSums]:
	"""Per group (or, not `grouped`, for all requests at once, under ""): the counts of the requests
	that left Draft, in one query grouped by group, both duration steps and rating.

	Grouped by item or item group the query reads lines: a request with two lines in one group is
	counted once (COUNT DISTINCT), its amount shared by line (see `request_source`).
	"""
	rr = DocType("Refund Request")
	source, key, share = request_source(rr, filters, group_by, whole_requests=not grouped)
	approved = rr.approved_on.isnotnull() | (rr.docstatus > 0)
	refunded = Case().when(rr.status.isin(REFUNDED_STATUSES), rr.base_refund_amount).else_(0)
	steps = (
		duration_steps(rr.requested_on, rr.approved_on),
		duration_steps(rr.requested_on, rr.refunded_on),
		Case().when(rr.feedback_rating > 0, rr.feedback_rating),
	)
	lines = share is not None

	def requests(condition=None):
		"""How many requests (each once, also when several of its lines are read)."""
		counted = Count(rr.name if condition is None else Case().when(condition, rr.name))
		return counted.distinct() if lines else counted

	counts = {
		"count": requests(),
		"refunded_amount": Sum(refunded * share if lines else refunded),
		"approved": requests(approved),
		"rejected": requests((rr.status == "Rejected") & ~approved),
	}
	keys = [key] if grouped else []
	query = source.select(
		key if grouped else ValueWrapper(""), *steps, *(counts[name] for name in analytics.ADDITIVE)
	).groupby(*keys, *steps)
	return analytics.fold(
		(
			None if approve is None else cint(approve),
			None if refund is None else cint(refund),
			flt(rating) or None,
			analytics.GroupSums(
				group or "",
				**{
					name: (flt if name == "refunded_amount" else cint)(v)
					for name, v in zip(analytics.ADDITIVE, values, strict=True)
				},
			),
		)
		for group, approve, refund, rating, *values in query.run()
	)


def duration_steps(start, end):
	"""Whole steps of HISTOGRAM_STEP_HOURS from `start` to `end` (never negative; NULL when either is missing)."""
	seconds = ToSeconds(end) - ToSeconds(start)
	return Round(Case().when(seconds < 0, 0).else_(seconds) / analytics.STEP_SECONDS)


def request_source(rr, filters, group_by: str, whole_requests: bool = False):
	"""The FROM part (filtered), the group key and each row's share of its request (None: whole requests).

	By item or item group the rows are lines, each weighing its value (amount + tax) over the
	request's; with an item group filter only the lines in it count. `whole_requests` (the total
	row): whole requests will do unless an item group filter shows part of them.
	"""
	if group_by not in LINE_GROUPS or (whole_requests and not filters.item_group):
		key = {
			REASON: rr.refund_reason,
			CUSTOMER: rr.customer,
			MONTH: DateFormat(rr.posting_date, MONTH_FORMAT),
		}.get(group_by)  # none for the total row
		return frappe.qb.from_(rr).where(request_conditions(rr, filters, rr.status != "Draft", scan=True)), key, None
	rri, item = DocType("Refund Request Item"), DocType("Item")
	# the lines are filtered by item group themselves
	condition = request_conditions(rr, frappe._dict(filters, item_group=None), rr.status != "Draft")
	if filters.item_group:
		condition &= item.item_group.isin(item_group_and_subgroups(filters.item_group))
	request_value = rr.items_total + rr.taxes_total
	# a request whose lines are worth nothing refunds nothing: its share does not matter
	share = Case().when(request_value != 0, (rri.amount + rri.tax_amount) / request_value).else_(0)
	source = (
		frappe.qb.from_(rr)
		.join(rri)
		.on((rri.parent == rr.name) & (rri.parenttype == "Refund Request"))
		.left_join(item)
		.on(item.name == rri.item_code)
		.where(condition)
	)
	return source, rri.item_code if group_by == ITEM else item.item_group, share


# ------------------------------------------------------------------ sales


def sales(filters, group_by: str) -> tuple[dict[str, float] | None, float]:
	"""Sales per group (see the module's docstring; None by reason) and in total, in company currency."""
	so, soi, item = DocType("Sales Order"), DocType("Sales Order Item"), DocType("Item")
	with_taxes = (
		Case()
		.when(
			so.base_net_total != 0, (so.base_net_total + so.base_total_taxes_and_charges) / so.base_net_total
		)
		.else_(1)
	)
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
	key_field = {
		ITEM: soi.item_code,
		ITEM_GROUP: item.item_group,
		CUSTOMER: so.customer,
		MONTH: DateFormat(so.transaction_date, MONTH_FORMAT),
	}[group_by]
	by_group = {
		key or "": flt(amount)
		for amount, key in query.select(key_field.as_("group_key")).groupby(key_field).run()
	}
	return by_group, sum(by_group.values())


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
		{
			"value": total.refunded_amount,
			"label": _("Refunded"),
			"datatype": "Currency",
			"currency": currency,
		},
		{"value": percent(total.share_of_sales) or 0, "label": _("Share of Sales"), "datatype": "Percent"},
		{"value": percent(total.approval_rate) or 0, "label": _("Approval Rate"), "datatype": "Percent"},
		{
			"value": one_decimal(total.avg_hours_to_approve),
			"label": _("Hours to Approve (avg)"),
			"datatype": "Data",
		},
		{"value": one_decimal(total.avg_stars), "label": _("Rating (stars)"), "datatype": "Data"},
	]


def one_decimal(value: float | None) -> str:
	return "-" if value is None else f"{value:.1f}"
