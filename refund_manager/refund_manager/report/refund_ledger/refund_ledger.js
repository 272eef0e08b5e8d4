// Copyright (c) 2026, refund_manager developers
// For license information, please see license.txt

frappe.query_reports["Refund Ledger"] = {
	filters: [
		{
			fieldname: "company",
			label: __("Company"),
			fieldtype: "Link",
			options: "Company",
			default: frappe.defaults.get_user_default("Company"),
			reqd: 1,
		},
		{
			fieldname: "from_date",
			label: __("From Date"),
			fieldtype: "Date",
			default: frappe.datetime.month_start(),
		},
		{
			fieldname: "to_date",
			label: __("To Date"),
			fieldtype: "Date",
			default: frappe.datetime.month_end(),
		},
		{ fieldname: "customer", label: __("Customer"), fieldtype: "Link", options: "Customer" },
		{ fieldname: "item_group", label: __("Item Group"), fieldtype: "Link", options: "Item Group" },
		{ fieldname: "refund_reason", label: __("Reason"), fieldtype: "Link", options: "Refund Reason" },
	],
	// the server sends this view no total row (it would walk every row of a long ledger for
	// nothing: the Desk drops it and totals the rows shown): the table's own total footer stays on
	get_datatable_options(options) {
		return Object.assign(options, { showTotalRow: true });
	},
	formatter(value, row, column, data, default_formatter) {
		value = default_formatter(value, row, column, data);
		if (column.fieldname === "flag" && data && data.difference) {
			value = `<span class="indicator-pill red">${value}</span>`;
		}
		return value;
	},
};
