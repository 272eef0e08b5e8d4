"""What a Sales Order has been ordered, delivered, returned, billed, paid and refunded.

One place reads these facts from the database (with `frappe.qb`, aggregates included) and hands
plain values to `refund_manager.core`. With `for_update=True` the Sales Order row is locked first,
so two requests checked against the same order are checked one after the other, and every read
after it is a locking read too: under MariaDB's REPEATABLE READ a plain read would still see the
snapshot taken before the other request committed.
"""

from dataclasses import dataclass, field

import frappe
from frappe.query_builder.functions import Count, Max, Sum
from frappe.utils import flt

from refund_manager.core.amounts import unit_taxes
from refund_manager.core.quantities import OrderLine

# Refund Requests in these states no longer hold any quantity or amount of their order.
RELEASED_STATUSES = ("Rejected", "Cancelled")


@dataclass
class PricedLine:
	line: OrderLine
	item_code: str
	item_name: str
	uom: str
	warehouse: str | None
	rate: float
	unit_tax: float  # all the order's taxes and charges per unit, shipping included
	unit_shipping: float = 0.0  # of which shipping charges


@dataclass
class OrderFacts:
	sales_order: str
	docstatus: int
	status: str
	customer: str
	company: str
	currency: str
	conversion_rate: float
	lines: dict[str, PricedLine] = field(default_factory=dict)
	billed: float = 0.0
	paid: float = 0.0
	refunded_elsewhere: float = 0.0
	shipping_account: str | None = None  # the account of the order's shipping charges

	@property
	def order_lines(self) -> dict[str, OrderLine]:
		return {name: priced.line for name, priced in self.lines.items()}


def load(sales_order: str, exclude_request: str | None = None, for_update: bool = False) -> OrderFacts | None:
	"""The refund facts of one Sales Order, or None when it does not exist."""
	header = _order_header(sales_order, for_update)
	if not header:
		return None
	facts = OrderFacts(
		sales_order=header.name,
		docstatus=header.docstatus,
		status=header.status,
		customer=header.customer,
		company=header.company,
		currency=header.currency,
		conversion_rate=flt(header.conversion_rate) or 1.0,
	)
	refunded_qty, facts.refunded_elsewhere = _refunded_by_requests(sales_order, exclude_request, for_update)
	returns = _returns(sales_order, for_update)
	shipping_total, facts.shipping_account = _shipping_charges(sales_order, header.company)
	for item in _order_items(sales_order, for_update):
		facts.lines[item.name] = PricedLine(
			line=OrderLine(
				name=item.name,
				ordered_qty=flt(item.qty),
				delivered_qty=flt(item.delivered_qty) + returns.stock_returned.get(item.name, 0.0),
				refunded_qty=refunded_qty.get(item.name, 0.0),
				stock_returned_outside_qty=returns.stock_returned_outside.get(item.name, 0.0),
				credited_outside_qty=returns.credited_outside.get(item.name, 0.0),
			),
			item_code=item.item_code,
			item_name=item.item_name,
			uom=item.uom,
			warehouse=item.warehouse,
			rate=flt(item.net_rate),
			unit_tax=unit_taxes(
				flt(item.net_amount), flt(item.qty), flt(header.net_total), flt(header.total_taxes_and_charges)
			),
			unit_shipping=unit_taxes(flt(item.net_amount), flt(item.qty), flt(header.net_total), shipping_total),
		)
	facts.billed, facts.paid = _billed_and_paid(sales_order, flt(header.advance_paid), for_update)
	return facts


def lock_sales_order(sales_order: str):
	so = frappe.qb.DocType("Sales Order")
	frappe.qb.from_(so).select(so.name).where(so.name == sales_order).for_update().run()


def requests_changed_since_snapshot(sales_order: str) -> bool:
	"""True when another transaction committed a change to this order's Refund Requests after
	this transaction's read snapshot began (call it holding the order lock).

	A locking read sees the latest committed rows, a plain read sees the snapshot: when they differ,
	ERPNext's own plain reads in this transaction (bins, ledgers) would be stale too.
	"""
	rr = frappe.qb.DocType("Refund Request")
	query = frappe.qb.from_(rr).select(Count(rr.name), Max(rr.modified)).where(rr.sales_order == sales_order)
	return tuple(query.run()[0]) != tuple(query.for_update().run()[0])


def _order_header(sales_order: str, for_update: bool):
	so = frappe.qb.DocType("Sales Order")
	query = (
		frappe.qb.from_(so)
		.select(
			so.name,
			so.docstatus,
			so.status,
			so.customer,
			so.company,
			so.currency,
			so.conversion_rate,
			so.net_total,
			so.total_taxes_and_charges,
			so.advance_paid,
		)
		.where(so.name == sales_order)
	)
	rows = _locking(query, for_update).run(as_dict=True)
	return rows[0] if rows else None


def _shipping_charges(sales_order: str, company: str) -> tuple[float, str | None]:
	"""The order's charges booked to a Shipping Rule account of its company, and that account."""
	tax = frappe.qb.DocType("Sales Taxes and Charges")
	rule = frappe.qb.DocType("Shipping Rule")
	rows = (
		frappe.qb.from_(tax)
		.select(tax.account_head, tax.tax_amount)
		.where(
			(tax.parenttype == "Sales Order")
			& (tax.parent == sales_order)
			& tax.account_head.isin(
				frappe.qb.from_(rule).select(rule.account).where(rule.company == company).distinct()
			)
		)
		.orderby(tax.idx)
		.run(as_dict=True)
	)
	return sum(flt(r.tax_amount) for r in rows), (rows[0].account_head if rows else None)


def _locking(query, for_update: bool):
	return query.for_update() if for_update else query


def _order_items(sales_order: str, for_update: bool = False):
	soi = frappe.qb.DocType("Sales Order Item")
	query = (
		frappe.qb.from_(soi)
		.select(
			soi.name,
			soi.item_code,
			soi.item_name,
			soi.uom,
			soi.warehouse,
			soi.qty,
			soi.net_rate,
			soi.net_amount,
			soi.delivered_qty,
		)
		.where((soi.parent == sales_order) & (soi.parenttype == "Sales Order"))
		.orderby(soi.idx)
	)
	return _locking(query, for_update).run(as_dict=True)


def _refunded_by_requests(
	sales_order: str, exclude_request: str | None, for_update: bool = False
) -> tuple[dict[str, float], float]:
	"""Quantities per order line and the net amount held by other live Refund Requests."""
	rr = frappe.qb.DocType("Refund Request")
	rri = frappe.qb.DocType("Refund Request Item")
	live = (rr.sales_order == sales_order) & (rr.docstatus < 2) & rr.status.notin(RELEASED_STATUSES)
	if exclude_request:
		live &= rr.name != exclude_request
	# price adjustments give money back but leave the units refundable
	returns_only = rr.refund_type.isnull() | (rr.refund_type != "Price Adjustment")
	per_line = _locking(
		frappe.qb.from_(rri)
		.join(rr)
		.on(rri.parent == rr.name)
		.select(rri.sales_order_item, Sum(rri.qty).as_("qty"))
		.where(live & returns_only & (rri.parenttype == "Refund Request"))
		.groupby(rri.sales_order_item),
		for_update,
	).run(as_dict=True)
	amount = _locking(frappe.qb.from_(rr).select(Sum(rr.refund_amount)).where(live), for_update).run()
	return {r.sales_order_item: flt(r.qty) for r in per_line}, flt(amount[0][0] if amount else 0)


@dataclass
class Returns:
	"""Quantities per order line given back through return documents (as positive numbers)."""

	stock_returned: dict[str, float] = field(default_factory=dict)  # all, this app's included
	stock_returned_outside: dict[str, float] = field(default_factory=dict)
	credited_outside: dict[str, float] = field(default_factory=dict)

	def add(self, bucket: dict[str, float], line: str, qty: float):
		bucket[line] = bucket.get(line, 0.0) + qty


def _returns(sales_order: str, for_update: bool = False) -> Returns:
	"""Return Delivery Notes and credit notes against the order's lines.

	`Sales Order Item.delivered_qty` is net of stock returns, so what left the warehouse is that
	plus every stock return, this app's included; only documents not made by a Refund Request count
	as "returned outside". Read from the return documents themselves rather than from
	`Sales Order Item.returned_qty`, which ERPNext leaves at 0 for returns built in Python with
	make_sales_return (see posting.as_loaded).
	"""
	dn = frappe.qb.DocType("Delivery Note")
	dni = frappe.qb.DocType("Delivery Note Item")
	si = frappe.qb.DocType("Sales Invoice")
	sii = frappe.qb.DocType("Sales Invoice Item")

	dn_returns = _locking(
		frappe.qb.from_(dni)
		.join(dn)
		.on(dni.parent == dn.name)
		.select(dni.so_detail, dn.refund_request, Sum(dni.qty).as_("qty"))
		.where((dni.against_sales_order == sales_order) & (dn.docstatus == 1) & (dn.is_return == 1))
		.groupby(dni.so_detail, dn.refund_request),
		for_update,
	).run(as_dict=True)
	si_returns = _locking(
		frappe.qb.from_(sii)
		.join(si)
		.on(sii.parent == si.name)
		.select(sii.so_detail, si.update_stock, si.refund_request, Sum(sii.qty).as_("qty"))
		.where((sii.sales_order == sales_order) & (si.docstatus == 1) & (si.is_return == 1))
		.groupby(sii.so_detail, si.update_stock, si.refund_request),
		for_update,
	).run(as_dict=True)
	returns = Returns()
	for r in dn_returns:
		returns.add(returns.stock_returned, r.so_detail, -flt(r.qty))
		if not r.refund_request:
			returns.add(returns.stock_returned_outside, r.so_detail, -flt(r.qty))
	for r in si_returns:
		if r.update_stock:
			returns.add(returns.stock_returned, r.so_detail, -flt(r.qty))
		if not r.refund_request:
			returns.add(returns.credited_outside, r.so_detail, -flt(r.qty))
			if r.update_stock:
				returns.add(returns.stock_returned_outside, r.so_detail, -flt(r.qty))
	return returns


def _billed_and_paid(sales_order: str, advance_paid: float, for_update: bool = False) -> tuple[float, float]:
	"""Billed (credit notes netted) and paid amounts for the order, taxes included, pro rata.

	An invoice may cover several orders: each counts for the share of its net total that carries
	this order's lines.
	"""
	si = frappe.qb.DocType("Sales Invoice")
	sii = frappe.qb.DocType("Sales Invoice Item")
	invoices = _locking(
		frappe.qb.from_(sii)
		.join(si)
		.on(sii.parent == si.name)
		.select(
			si.name,
			si.is_return,
			si.net_total,
			si.grand_total,
			si.outstanding_amount,
			Sum(sii.net_amount).as_("order_net_amount"),
		)
		.where((sii.sales_order == sales_order) & (si.docstatus == 1))
		.groupby(si.name, si.is_return, si.net_total, si.grand_total, si.outstanding_amount),
		for_update,
	).run(as_dict=True)
	billed = 0.0
	paid_on_invoices = 0.0
	for inv in invoices:
		share = flt(inv.order_net_amount) / flt(inv.net_total) if flt(inv.net_total) else 1.0
		billed += flt(inv.grand_total) * share
		if not inv.is_return:
			paid_on_invoices += (flt(inv.grand_total) - flt(inv.outstanding_amount)) * share
	return billed, paid_on_invoices + advance_paid


# Source document lines: child doctype -> (parent doctype, the child's link to the Sales Order)
SOURCE_LINE_DOCTYPES = {
	"Delivery Note Item": ("Delivery Note", "against_sales_order"),
	"Sales Invoice Item": ("Sales Invoice", "sales_order"),
}


def _source_line_query(doctype: str):
	"""Lines of Delivery Notes / Sales Invoices joined to their parent, and the two tables."""
	parent_doctype, _order_field = SOURCE_LINE_DOCTYPES[doctype]
	child = frappe.qb.DocType(doctype)
	parent = frappe.qb.DocType(parent_doctype)
	query = (
		frappe.qb.from_(child)
		.join(parent)
		.on(child.parent == parent.name)
		.select(child.name, child.parent, child.so_detail)
	)
	return query, child, parent


def source_lines(doctype: str, names: list[str]) -> dict[str, dict]:
	"""Delivery Note / Sales Invoice item rows by name: their parent, order line, and the parent's
	state and customer."""
	if not names:
		return {}
	query, child, parent = _source_line_query(doctype)
	rows = (
		query.select(parent.docstatus, parent.is_return, parent.customer).where(child.name.isin(names)).run(as_dict=True)
	)
	return {r.name: r for r in rows}


def latest_source_lines(sales_order: str, doctype: str) -> dict[str, dict]:
	"""The latest submitted, non-return Delivery Note / Sales Invoice line per order line."""
	query, child, parent = _source_line_query(doctype)
	order_field = SOURCE_LINE_DOCTYPES[doctype][1]
	rows = (
		query.where((child[order_field] == sales_order) & (parent.docstatus == 1) & (parent.is_return == 0))
		.orderby(parent.posting_date)
		.orderby(parent.creation)
		.run(as_dict=True)
	)
	return {r.so_detail: r for r in rows}


def link_latest_source_lines(doc):
	"""Fill each Refund Request row's missing Delivery Note / Sales Invoice line with the latest one."""
	for row_field, child in (("delivery_note_item", "Delivery Note Item"), ("sales_invoice_item", "Sales Invoice Item")):
		latest = latest_source_lines(doc.sales_order, child)
		for d in doc.items:
			if not d.get(row_field) and d.sales_order_item in latest:
				d.set(row_field, latest[d.sales_order_item].name)
