// Copyright (c) 2026, refund_manager developers
// For license information, please see license.txt

frappe.query_reports["Refund SLA Aging"] = {
	filters: [
		{
			fieldname: "company",
			label: __("Company"),
			fieldtype: "Link",
			options: "Company",
			default: frappe.defaults.get_user_default("Company"),
			reqd: 1,
		},
		{ fieldname: "customer", label: __("Customer"), fieldtype: "Link", options: "Customer" },
		{ fieldname: "item_group", label: __("Item Group"), fieldtype: "Link", options: "Item Group" },
		{ fieldname: "refund_reason", label: __("Reason"), fieldtype: "Link", options: "Refund Reason" },
	],
	formatter(value, row, column, data, default_formatter) {
		value = default_formatter(value, row, column, data);
		const colors = { "On Track": "green", "Due Soon": "orange", Breached: "red", Paused: "grey" };
		if (column.fieldname === "sla_status" && data && colors[data.sla_status]) {
			value = `<span class="indicator-pill ${colors[data.sla_status]}">${value}</span>`;
		}
		return value;
	},
};
