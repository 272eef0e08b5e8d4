"""What the refund reports share: their filters on Refund Request, and item groups with subgroups."""

import frappe
from frappe.query_builder import DocType
from frappe.utils.nestedset import get_descendants_of
from pypika.terms import CustomFunction

# MariaDB's seconds since year 0 of a DATETIME as written (no time zone): differences match a
# Python subtraction of the two values, across daylight-saving changes too.
ToSeconds = CustomFunction("TO_SECONDS", ["datetime"])


def item_group_and_subgroups(item_group: str) -> list[str]:
	return [item_group, *get_descendants_of("Item Group", item_group)]


def requests_with_item_group(item_group: str):
	"""Subquery: names of the requests refunding an item of `item_group` or one of its subgroups."""
	rri, item = DocType("Refund Request Item"), DocType("Item")
	return (
		frappe.qb.from_(rri)
		.join(item)
		.on(item.name == rri.item_code)
		.select(rri.parent)
		.where((rri.parenttype == "Refund Request") & item.item_group.isin(item_group_and_subgroups(item_group)))
	)


def request_conditions(rr, filters, condition, dates: bool = True):
	"""`condition` narrowed by the reports' filters: company, posting date range (when `dates`),
	customer, refund reason, item group (any refunded item in it or in a subgroup)."""
	if filters.get("company"):
		condition &= rr.company == filters["company"]
	if dates and filters.get("from_date"):
		condition &= rr.posting_date >= filters["from_date"]
	if dates and filters.get("to_date"):
		condition &= rr.posting_date <= filters["to_date"]
	if filters.get("customer"):
		condition &= rr.customer == filters["customer"]
	if filters.get("refund_reason"):
		condition &= rr.refund_reason == filters["refund_reason"]
	if filters.get("item_group"):
		condition &= rr.name.isin(requests_with_item_group(filters["item_group"]))
	return condition


def company_currency(company: str | None) -> str | None:
	return frappe.get_cached_value("Company", company, "default_currency") if company else None
