# Copyright (c) 2026, refund_manager developers
# For license information, please see license.txt

import frappe
from frappe.model.document import Document


class RefundPosting(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		amount: DF.Currency
		parent: DF.Data
		parentfield: DF.Data
		parenttype: DF.Data
		reference_doctype: DF.Link
		reference_name: DF.DynamicLink
	# end: auto-generated types

	pass


def on_doctype_update():
	"""Refund Ledger reads each request's postings by parent: all it needs is in this one index."""
	frappe.db.add_index(
		"Refund Posting", ["parent", "parenttype", "reference_doctype", "reference_name"], "parent_reference_index"
	)
