"""Whitelisted entry points of refund_manager."""

import json

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.model.mapper import get_mapped_doc
from frappe.utils import cint, escape_html

from refund_manager import order_facts
from refund_manager.core.quantities import refundable_qty

SOURCE_DOCTYPES = ("Sales Order", "Delivery Note", "Sales Invoice")


class RefundSourceError(frappe.ValidationError):
	pass


@frappe.whitelist()
def make_refund_request(
	source_name: str, source_doctype: str = "Sales Order", target_doc: str | dict | None = None
) -> Document:
	"""A draft Refund Request for a submitted Sales Order, or one of its Delivery Notes / Sales Invoices.

	Every order line that can still be refunded is listed with its `max_refundable_qty`, its quantity
	preset to that limit; lines with nothing left to refund are left out.
	"""
	if source_doctype not in SOURCE_DOCTYPES:
		frappe.throw(
			_("A Refund Request can be made from a Sales Order, Delivery Note or Sales Invoice, not from {0}.").format(
				frappe.bold(escape_html(source_doctype))
			),
			RefundSourceError,
		)
	if not isinstance(source_name, str) or not frappe.db.exists(source_doctype, source_name):
		frappe.throw(
			_("{0} {1} does not exist.").format(_(source_doctype), frappe.bold(escape_html(str(source_name)))),
			RefundSourceError,
		)
	target_doc = _target_doc(target_doc)
	sales_order = _sales_order_of(source_doctype, source_name)

	def postprocess(source, target):
		fill_refund_request(target, source_doctype)

	return get_mapped_doc(
		source_doctype, source_name, _table_maps(source_doctype, sales_order), target_doc, postprocess
	)


def _target_doc(target_doc: str | dict | None) -> Document | None:
	"""The open form the Desk maps into: a Refund Request, sent as JSON or as a dict."""
	if target_doc in (None, "", {}):
		return None
	if isinstance(target_doc, str):
		try:
			target_doc = json.loads(target_doc)
		except ValueError:
			target_doc = None
	if isinstance(target_doc, dict) and target_doc.get("doctype") == "Refund Request":
		try:
			return frappe.get_doc(target_doc)
		except (TypeError, ValueError, AttributeError, KeyError):
			pass  # fields of the wrong shape
	frappe.throw(_("The form to fill in is not a Refund Request."), RefundSourceError)


@frappe.whitelist()
def get_refundable_quantities(
	sales_order: str, return_goods: int | str = 0, refund_request: str | None = None
) -> dict[str, float]:
	"""Refundable quantity per Sales Order Item, as the form shows it before saving."""
	if not frappe.db.exists("Sales Order", sales_order):
		frappe.throw(
			_("Sales Order {0} does not exist.").format(frappe.bold(escape_html(sales_order))), RefundSourceError
		)
	from refund_manager.refund_manager.doctype.refund_request.refund_request import BLOCKED_ORDER_STATUSES

	frappe.has_permission("Sales Order", "read", sales_order, throw=True)
	facts = order_facts.load(sales_order, exclude_request=refund_request)
	if facts.docstatus != 1 or facts.status in BLOCKED_ORDER_STATUSES:
		frappe.throw(
			_("Sales Order {0} must be submitted and not cancelled or closed (it is {1}).").format(
				frappe.bold(sales_order), _(facts.status or "Draft")
			),
			RefundSourceError,
		)
	return {name: refundable_qty(line, bool(cint(return_goods))) for name, line in facts.order_lines.items()}


def _sales_order_of(source_doctype: str, source_name: str) -> str:
	if source_doctype == "Sales Order":
		return source_name
	child = f"{source_doctype} Item"
	order_field = order_facts.SOURCE_LINE_DOCTYPES[child][1]
	orders = frappe.get_all(
		child,
		filters={"parent": source_name, "parenttype": source_doctype, order_field: ("is", "set")},
		pluck=order_field,
		order_by="idx asc",
		limit=1,
	)
	if not orders:
		frappe.throw(
			_("{0} {1} is not linked to a Sales Order; a Refund Request starts from the order.").format(
				_(source_doctype), frappe.bold(source_name)
			),
			RefundSourceError,
		)
	return orders[0]


def _table_maps(source_doctype: str, sales_order: str) -> dict:
	submitted = {"docstatus": ["=", 1]}
	if source_doctype == "Sales Order":
		return {
			"Sales Order": {"doctype": "Refund Request", "field_map": {"name": "sales_order"}, "validation": submitted},
			"Sales Order Item": {
				"doctype": "Refund Request Item",
				"field_map": {"name": "sales_order_item", "net_rate": "rate"},
			},
		}
	not_return = {**submitted, "is_return": ["=", 0]}
	if source_doctype == "Delivery Note":
		return {
			"Delivery Note": {"doctype": "Refund Request", "field_map": {"name": "delivery_note"}, "validation": not_return},
			"Delivery Note Item": {
				"doctype": "Refund Request Item",
				"field_map": {"so_detail": "sales_order_item", "name": "delivery_note_item", "net_rate": "rate"},
				"condition": lambda d: d.against_sales_order == sales_order and d.so_detail,
			},
		}
	return {
		"Sales Invoice": {"doctype": "Refund Request", "field_map": {"name": "sales_invoice"}, "validation": not_return},
		"Sales Invoice Item": {
			"doctype": "Refund Request Item",
			"field_map": {
				"so_detail": "sales_order_item",
				"name": "sales_invoice_item",
				"dn_detail": "delivery_note_item",
				"net_rate": "rate",
			},
			"condition": lambda d: d.sales_order == sales_order and d.so_detail,
		},
	}


def fill_refund_request(doc: Document, source_doctype: str):
	"""Complete a freshly mapped draft: links to the latest source lines, limits, quantities, totals."""
	doc.sales_order = doc.sales_order or _sales_order_of(source_doctype, doc.delivery_note or doc.sales_invoice)
	facts = order_facts.load(doc.sales_order)
	doc.validate_sales_order(facts)
	order_facts.link_latest_source_lines(doc)
	delivered = any(line.delivered_qty > 0 for line in facts.order_lines.values())
	doc.return_goods = 1 if source_doctype == "Delivery Note" or delivered else 0

	rows = _refundable_rows(doc, facts)
	if not rows and doc.return_goods:
		doc.return_goods = 0  # goods were not delivered (or all came back): refund what was ordered
		rows = _refundable_rows(doc, facts)
	if not rows:
		frappe.throw(
			_("Nothing is left to refund on Sales Order {0}.").format(frappe.bold(doc.sales_order)),
			RefundSourceError,
		)
	doc.set("items", rows)
	for idx, d in enumerate(doc.items, start=1):
		d.idx = idx
		d.qty = d.max_refundable_qty
	doc.delivery_note = doc.delivery_note or _first_parent(doc, "delivery_note_item", "Delivery Note Item")
	doc.sales_invoice = doc.sales_invoice or _first_parent(doc, "sales_invoice_item", "Sales Invoice Item")
	doc.set_defaults()
	doc.calculate_totals(facts)


def _refundable_rows(doc: Document, facts: order_facts.OrderFacts) -> list:
	rows, seen = [], set()
	doc.set_item_values(facts)
	for d in doc.items:
		if d.sales_order_item in seen or not d.max_refundable_qty:
			continue
		seen.add(d.sales_order_item)
		rows.append(d)
	return rows


def _first_parent(doc: Document, row_field: str, child: str) -> str | None:
	names = [d.get(row_field) for d in doc.items if d.get(row_field)]
	lines = order_facts.source_lines(child, names[:1])
	return lines[names[0]].parent if lines else None
