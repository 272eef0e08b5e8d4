"""Whitelisted entry points of refund_manager."""

import json
import math

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.model.mapper import get_mapped_doc
from frappe.utils import cint, escape_html, flt

from refund_manager import breakdown, order_facts
from refund_manager.core.quantities import refundable_qty

SOURCE_DOCTYPES = ("Sales Order", "Delivery Note", "Sales Invoice")


class RefundSourceError(frappe.ValidationError):
	pass


def require_read(doctype: str, doc: str | Document, website: bool = False):
	"""Refuse a document the session user may not read (`website`: nor see on the portal).

	Checked quietly: Frappe's own refusal explains which field of the document the user lacks
	access to, and so names, say, another customer in the message.
	"""
	if frappe.has_permission(doctype, "read", doc) or (website and frappe.has_website_permission(doc)):
		return
	name = doc if isinstance(doc, str) else doc.name
	frappe.throw(
		_("Not permitted to read {0} {1}.").format(_(doctype), frappe.bold(escape_html(name))), frappe.PermissionError
	)


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
	require_read(source_doctype, source_name)  # before the mapper, whose refusal names the customer
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

	require_read("Sales Order", sales_order)
	facts = order_facts.load(sales_order, exclude_request=refund_request)
	if facts.docstatus != 1 or facts.status in BLOCKED_ORDER_STATUSES:
		frappe.throw(
			_("Sales Order {0} must be submitted and not cancelled or closed (it is {1}).").format(
				frappe.bold(sales_order), _(facts.status or "Draft")
			),
			RefundSourceError,
		)
	return {name: refundable_qty(line, bool(cint(return_goods))) for name, line in facts.order_lines.items()}


@frappe.whitelist()
def preview_refund(
	refund_request: str | None = None,
	sales_order: str | None = None,
	items: str | list | None = None,
	refund_reason: str | None = None,
	return_goods: int | str | None = None,
	refund_type: str | None = None,
) -> dict:
	"""The breakdown of a refund before anything is saved: line amounts, taxes, shipping, each
	deduction with its reason, the net refund, the policy and what it says. Writes nothing.

	Either a draft `refund_request` (its saved values, changed by any argument given) or a
	`sales_order` with `items` as [{"sales_order_item": ..., "qty": ...}] (every refundable line
	when omitted). An over-refund or a wrong line is answered with the same message as on save.
	"""
	if refund_request:
		doc = _draft_for_preview(refund_request)
	elif sales_order:
		doc = _order_for_preview(sales_order)
	else:
		frappe.throw(_("Give a Refund Request or a Sales Order to preview."), RefundSourceError)
	if doc.docstatus == 0:
		_set_preview_header(doc, refund_reason, refund_type, return_goods)
	if doc.docstatus == 0:
		if items is not None:
			_set_preview_items(doc, items)
		doc.compute_refund()
		doc.check_policy_rules(enforce=False)
		doc.set_risk_flags()
	result = breakdown.of_request(doc)
	result["policy_violations"] = [v for v in (doc.policy_violations or "").split("\n") if v]
	result["risk_flags"] = [v for v in (doc.risk_flags or "").split("\n") if v]
	return result


def _set_preview_header(doc: Document, refund_reason, refund_type, return_goods):
	if refund_reason is not None:
		if not isinstance(refund_reason, str) or not frappe.db.exists("Refund Reason", refund_reason):
			frappe.throw(
				_("Refund Reason {0} does not exist.").format(frappe.bold(escape_html(str(refund_reason)))),
				RefundSourceError,
			)
		doc.refund_reason = refund_reason
	if refund_type is not None:
		if refund_type not in ("Return", "Price Adjustment"):
			frappe.throw(
				_("Refund type must be Return or Price Adjustment, not {0}.").format(
					frappe.bold(escape_html(str(refund_type)))
				),
				RefundSourceError,
			)
		doc.refund_type = refund_type
	if return_goods is not None:
		doc.return_goods = cint(return_goods)


def _draft_for_preview(name: str) -> Document:
	if not isinstance(name, str) or not frappe.db.exists("Refund Request", name):
		frappe.throw(
			_("Refund Request {0} does not exist.").format(frappe.bold(escape_html(str(name)))), RefundSourceError
		)
	doc = frappe.get_doc("Refund Request", name)
	require_read("Refund Request", doc, website=True)
	if doc.docstatus != 0:
		return doc  # approved or cancelled: its breakdown as it stands
	doc.load_doc_before_save()  # so fee rows edited earlier count as saved, not as new edits
	return doc


def _order_for_preview(sales_order: str) -> Document:
	if not isinstance(sales_order, str) or not frappe.db.exists("Sales Order", sales_order):
		frappe.throw(
			_("Sales Order {0} does not exist.").format(frappe.bold(escape_html(str(sales_order)))),
			RefundSourceError,
		)
	order = frappe.get_doc("Sales Order", sales_order)
	require_read("Sales Order", order, website=True)
	return make_refund_request(sales_order)


def _set_preview_items(doc: Document, items: str | list):
	try:
		rows = frappe.parse_json(items) if isinstance(items, str) else items
	except ValueError:
		rows = None
	if not isinstance(rows, list) or not all(isinstance(r, dict) for r in rows):
		frappe.throw(_("Items must be a list of order lines with quantities."), RefundSourceError)
	known = {d.sales_order_item: d for d in doc.items}
	chosen = []
	for idx, row in enumerate(rows, start=1):
		line = row.get("sales_order_item")
		qty = row.get("qty")
		if not isinstance(line, str) or line not in known:
			frappe.throw(
				_("Row #{0}: {1} is not a refundable line of Sales Order {2}.").format(
					idx, frappe.bold(escape_html(str(line))), frappe.bold(doc.sales_order)
				),
				RefundSourceError,
			)
		if isinstance(qty, bool) or not isinstance(qty, int | float | str):
			frappe.throw(_("Row #{0}: quantity must be a number.").format(idx), RefundSourceError)
		try:
			qty = float(qty)
		except ValueError:
			qty = math.nan
		if not math.isfinite(qty):
			frappe.throw(_("Row #{0}: quantity must be a number.").format(idx), RefundSourceError)
		d = known[line]
		d.qty = flt(qty)
		if "rate" in row and doc.refund_type == "Price Adjustment":
			d.rate = flt(row.get("rate"))
		chosen.append(d)
	doc.set("items", chosen)


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
	doc.select_refund_policy()
	doc.set_defaults()
	doc.calculate_totals(facts)
	doc.apply_policy_fees(facts)  # the policy's fee rows show before the first save


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
