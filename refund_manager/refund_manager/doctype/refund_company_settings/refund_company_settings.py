# Copyright (c) 2026, refund_manager developers
# For license information, please see license.txt

from frappe.model.document import Document


class RefundCompanySettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		company: DF.Link
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		refund_account: DF.Link | None
		restocking_fee_account: DF.Link | None
		return_warehouse: DF.Link | None
	# end: auto-generated types

	pass
