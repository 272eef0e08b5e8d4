// Copyright (c) 2026, refund_manager developers
// For license information, please see license.txt

frappe.ui.form.on("Refund Settings", {
	setup(frm) {
		const by_company = (field, doctype_filters) =>
			frm.set_query(field, "company_settings", (doc, cdt, cdn) => ({
				filters: { company: locals[cdt][cdn].company, is_group: 0, ...doctype_filters },
			}));
		by_company("return_warehouse", {});
		by_company("restocking_fee_account", {});
		by_company("refund_account", {});
	},
});
