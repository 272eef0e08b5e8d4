// Copyright (c) 2026, refund_manager developers
// For license information, please see license.txt

const REFUND_STATUS_COLORS = {
	Draft: "red",
	"Pending Approval": "orange",
	"Pending Finance Approval": "orange",
	Approved: "blue",
	Rejected: "gray",
	Credited: "purple",
	Refunded: "green",
	Cancelled: "red",
};

frappe.listview_settings["Refund Request"] = {
	add_fields: ["status", "refund_amount", "currency"],
	has_indicator_for_draft: 1,
	get_indicator(doc) {
		const status = doc.status || "Draft";
		return [__(status), REFUND_STATUS_COLORS[status] || "gray", "status,=," + status];
	},
};
