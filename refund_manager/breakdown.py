"""The refund breakdown shown on the form, the Refund Statement, the portal and `preview_refund`.

One dict, built from a Refund Request whose totals are computed (saved or not):
each line's amount and taxes, the taxes reversed, the shipping share, each deduction with its
reason, and the net refund. Amounts are in the request's currency.
"""

from frappe.model.document import Document
from frappe.utils import flt


def of_request(doc: Document) -> dict:
	shipping = flt(doc.get("shipping_amount"))
	return {
		"name": None if doc.is_new() else doc.name,
		"sales_order": doc.sales_order,
		"customer": doc.customer,
		"currency": doc.currency,
		"refund_type": doc.refund_type,
		"refund_reason": doc.refund_reason,
		"refund_policy": doc.get("refund_policy"),
		"lines": [
			{
				"sales_order_item": d.sales_order_item,
				"item_code": d.item_code,
				"item_name": d.item_name,
				"qty": flt(d.qty),
				"uom": d.uom,
				"rate": flt(d.rate),
				"amount": flt(d.amount),
				"tax_amount": flt(d.tax_amount),
			}
			for d in doc.items
		],
		"items_total": flt(doc.items_total),
		# the order's charges given back with the lines, shipping shown on its own
		"taxes_total": flt(flt(doc.taxes_total) - shipping, doc.precision("taxes_total")),
		"shipping_amount": shipping,
		"deductions": [
			{
				"deduction_type": d.get("deduction_type") or "Other",
				"description": d.description,
				"amount": flt(d.amount),
			}
			for d in doc.deductions
		],
		"deductions_total": flt(doc.deductions_total),
		"refund_amount": flt(doc.refund_amount),
	}
