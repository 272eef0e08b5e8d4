// Create > Refund Request on a submitted, open Sales Order.
frappe.ui.form.on("Sales Order", {
	refresh(frm) {
		const open = frm.doc.docstatus === 1 && !["Closed", "Cancelled"].includes(frm.doc.status);
		if (open && frappe.model.can_create("Refund Request")) {
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
