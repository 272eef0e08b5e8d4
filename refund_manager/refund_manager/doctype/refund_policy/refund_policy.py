# Copyright (c) 2026, refund_manager developers
# For license information, please see license.txt

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.utils import flt


class RefundPolicyError(frappe.ValidationError):
	pass


class RefundPolicy(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from refund_manager.refund_manager.doctype.refund_policy_fee.refund_policy_fee import RefundPolicyFee
		from refund_manager.refund_manager.doctype.refund_policy_reason.refund_policy_reason import RefundPolicyReason

		allowed_reasons: DF.TableMultiSelect[RefundPolicyReason]
		company: DF.Link
		customer_group: DF.Link | None
		default_mode_of_payment: DF.Link | None
		description: DF.SmallText | None
		enabled: DF.Check
		frequency_days: DF.Int
		frequency_limit: DF.Int
		item_group: DF.Link | None
		policy_name: DF.Data
		reason_fees: DF.Table[RefundPolicyFee]
		requires_evidence: DF.Check
		restocking_fee_percent: DF.Percent
		return_window_days: DF.Int
		review_amount_above: DF.Currency
		shipping_refundable: DF.Check
	# end: auto-generated types

	def validate(self):
		self.validate_percentages()
		self.validate_frequency()
		self.validate_reason_rows()

	def validate_percentages(self):
		for label, value in [(_("Restocking Fee %"), self.restocking_fee_percent)] + [
			(_("Row #{0}: Restocking Fee %").format(d.idx), d.restocking_fee_percent) for d in self.reason_fees
		]:
			if not 0 <= flt(value) <= 100:
				frappe.throw(_("{0} must be between 0 and 100.").format(label), RefundPolicyError)

	def validate_frequency(self):
		if self.frequency_limit and not self.frequency_days:
			frappe.throw(
				_("Set the number of days within which {0} refunds per customer are counted.").format(
					self.frequency_limit
				),
				RefundPolicyError,
			)

	def validate_reason_rows(self):
		seen = set()
		for d in self.reason_fees:
			if d.refund_reason in seen:
				frappe.throw(
					_("Row #{0}: Refund Reason {1} already has a restocking fee.").format(
						d.idx, frappe.bold(d.refund_reason)
					),
					RefundPolicyError,
				)
			seen.add(d.refund_reason)
