# Copyright (c) 2026, refund_manager developers
# For license information, please see license.txt

from frappe.model.document import Document


class RefundReason(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		default_refund_type: DF.Literal["Return", "Price Adjustment"]
		description: DF.SmallText | None
		disabled: DF.Check
		reason: DF.Data
		requires_evidence: DF.Check
		return_goods_by_default: DF.Check
	# end: auto-generated types

	pass
