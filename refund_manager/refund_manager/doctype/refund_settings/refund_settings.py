# Copyright (c) 2026, refund_manager developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document

from refund_manager import approval
from refund_manager.core.routing import check_rules


class RefundSettings(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from refund_manager.refund_manager.doctype.refund_approval_rule.refund_approval_rule import (
			RefundApprovalRule,
		)
		from refund_manager.refund_manager.doctype.refund_company_settings.refund_company_settings import (
			RefundCompanySettings,
		)

		approval_rules: DF.Table[RefundApprovalRule]
		company_settings: DF.Table[RefundCompanySettings]
		default_mode_of_payment: DF.Link | None
		due_soon_hours: DF.Float
		escalation_role: DF.Link | None
		response_hours: DF.Float
	# end: auto-generated types

	def validate(self):
		self.validate_one_row_per_company()
		self.validate_company_links()
		self.validate_approval_rules()

	def on_update(self):
		approval.reroute_drafts(self)  # new routing applies at once; pending requests keep their path

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

	def validate_approval_rules(self):
		messages = {
			"unknown_outcome": _("Approval rule row #{0}: choose an outcome."),
			"negative_amount": _("Approval rule row #{0}: amounts cannot be negative."),
			"empty_amount_range": _("Approval rule row #{0}: To Amount must be more than From Amount (or 0 for no upper limit)."),
			"duplicate_name": _("Approval rule row #{0}: the name is already used in row #{1}."),
		}
		problems = check_rules(approval.rules_from_rows(self.approval_rules))
		if problems:
			frappe.throw(
				[messages[p.code].format(p.row, p.values.get("first_row")) for p in problems],
				title=_("Invalid Approval Rules"),
				as_list=True,
			)
