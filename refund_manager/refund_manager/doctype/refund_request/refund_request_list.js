// Copyright (c) 2026, refund_manager developers
// For license information, please see license.txt

// The indicator follows `status` (kept in step with the approval workflow, plus Credited / Refunded),
// in the list and on the form: the workflow is set not to override it.
frappe.listview_settings["Refund Request"] = {
	add_fields: ["status", "sla_status"],
	has_indicator_for_draft: 1,
	get_indicator(doc) {
		const colors = {
			Draft: "red",
			"Pending Approval": "orange",
			"Pending Finance Approval": "orange",
			Approved: "blue",
			Rejected: "red",
			Credited: "purple",
			Refunded: "green",
			Cancelled: "red",
		};
		const status = doc.status || "Draft";
		const breached = doc.sla_status === "Breached" && status.startsWith("Pending");
		return [__(status), breached ? "red" : colors[status] || "gray", `status,=,${status}`];
	},
};
