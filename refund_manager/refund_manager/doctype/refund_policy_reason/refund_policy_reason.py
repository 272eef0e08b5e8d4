# Copyright (c) 2026, refund_manager developers
# For license information, please see license.txt

from frappe.model.document import Document


class RefundPolicyReason(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		refund_reason: DF.Link
	# end: auto-generated types

	pass
