# Copyright (c) 2026, refund_manager developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document


class RefundSettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from refund_manager.refund_manager.doctype.refund_company_settings.refund_company_settings import (
			RefundCompanySettings,
		)

		company_settings: DF.Table[RefundCompanySettings]
		default_mode_of_payment: DF.Link | None
	# end: auto-generated types

	def validate(self):
		self.validate_one_row_per_company()
		self.validate_company_links()

	def validate_one_row_per_company(self):
		seen = set()
		for d in self.company_settings:
			if d.company in seen:
				frappe.throw(
					_("Row #{0}: company {1} is listed twice.").format(d.idx, frappe.bold(d.company))
				)
			seen.add(d.company)

	def validate_company_links(self):
		"""Each warehouse and account must belong to the row's company."""
		for d in self.company_settings:
			for fieldname, doctype in (
				("return_warehouse", "Warehouse"),
				("restocking_fee_account", "Account"),
				("refund_account", "Account"),
			):
				value = d.get(fieldname)
				if value and frappe.db.get_value(doctype, value, "company") != d.company:
					frappe.throw(
						_("Row #{0}: {1} {2} does not belong to company {3}.").format(
							d.idx, _(doctype), frappe.bold(value), frappe.bold(d.company)
						)
					)

	def for_company(self, company: str):
		"""The settings row of a company, or None."""
		return next((d for d in self.company_settings if d.company == company), None)
