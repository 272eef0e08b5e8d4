"""Sites installed before Refund Reason had `default_refund_type`: the shipped Price Adjustment
reason defaults to price adjustments (every other reason keeps the column default, Return)."""

import frappe


def execute():
	if frappe.db.exists("Refund Reason", "Price Adjustment"):
		frappe.db.set_value("Refund Reason", "Price Adjustment", "default_refund_type", "Price Adjustment")
