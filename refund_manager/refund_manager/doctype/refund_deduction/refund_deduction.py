# Copyright (c) 2026, refund_manager developers
# For license information, please see license.txt

from frappe.model.document import Document


class RefundDeduction(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		account: DF.Link
		amount: DF.Currency
		computed_amount: DF.Currency
		deduction_type: DF.Literal["Other", "Restocking Fee", "Non-refundable Shipping"]
		description: DF.Data
		edited: DF.Check
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
	# end: auto-generated types

	pass
