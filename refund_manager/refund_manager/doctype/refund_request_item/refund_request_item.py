# Copyright (c) 2026, refund_manager developers
# For license information, please see license.txt

from frappe.model.document import Document


class RefundRequestItem(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		amount: DF.Currency
		delivery_note_item: DF.Data | None
		item_code: DF.Link
		item_name: DF.Data | None
		max_refundable_qty: DF.Float
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		qty: DF.Float
		rate: DF.Currency
		sales_invoice_item: DF.Data | None
		sales_order_item: DF.Data | None
		serial_no: DF.SmallText | None
		tax_amount: DF.Currency
		uom: DF.Link | None
		warehouse: DF.Link | None
	# end: auto-generated types

	pass
