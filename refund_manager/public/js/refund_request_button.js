// Create > Refund Request on the documents a refund starts from.
// Frappe evaluates this file with each of their forms (hooks.doctype_js); the handlers are
// registered once, for all three doctypes, the first time any of them is opened.
(() => {
	if (frappe.ui.form.refund_manager_buttons) return;
	frappe.ui.form.refund_manager_buttons = true;

	const refundable = {
		"Sales Order": (doc) => !["Closed", "Cancelled"].includes(doc.status),
		"Delivery Note": (doc) => !doc.is_return,
		"Sales Invoice": (doc) => !doc.is_return,
	};

	for (const [doctype, is_refundable] of Object.entries(refundable)) {
		frappe.ui.form.on(doctype, {
			refresh(frm) {
				if (frm.doc.docstatus !== 1 || !is_refundable(frm.doc)) return;
				if (!frappe.model.can_create("Refund Request")) return;
				frm.add_custom_button(
					__("Refund Request"),
					() =>
						frappe.model.open_mapped_doc({
							method: "refund_manager.api.make_refund_request",
							frm,
							args: { source_doctype: frm.doctype },
						}),
					__("Create")
				);
			},
		});
	}
})();
