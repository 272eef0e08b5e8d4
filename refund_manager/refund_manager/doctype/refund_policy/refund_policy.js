// Copyright (c) 2026, refund_manager developers
// For license information, please see license.txt

frappe.ui.form.on("Refund Policy", {
	setup(frm) {
		frm.set_query("default_mode_of_payment", () => ({ filters: { enabled: 1 } }));
		frm.set_query("refund_reason", "allowed_reasons", () => ({ filters: { disabled: 0 } }));
		frm.set_query("refund_reason", "reason_fees", () => ({ filters: { disabled: 0 } }));
	},
});
