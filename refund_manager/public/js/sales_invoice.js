// Create > Refund Request on a submitted Sales Invoice that is not itself a return.
frappe.ui.form.on("Sales Invoice", {
	refresh(frm) {
		if (frm.doc.docstatus === 1 && !frm.doc.is_return && frappe.model.can_create("Refund Request")) {
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
		}
	},
});
