# Copyright (c) 2026, refund_manager developers
# For license information, please see license.txt

from frappe.model.document import Document


class RefundApprovalRule(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		enabled: DF.Check
		from_amount: DF.Currency
		match_company: DF.Link | None
		match_customer_group: DF.Link | None
		match_item_group: DF.Link | None
		match_refund_reason: DF.Link | None
		outcome: DF.Literal["Auto Approve", "One Level", "Two Levels"]
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		priority: DF.Int
		rule_name: DF.Data
		to_amount: DF.Currency
	# end: auto-generated types

	pass
