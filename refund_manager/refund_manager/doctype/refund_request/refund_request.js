// Copyright (c) 2026, refund_manager developers
// For license information, please see license.txt

frappe.ui.form.on("Refund Request", {
	setup(frm) {
		frm.set_query("sales_order", () => ({
			filters: {
				docstatus: 1,
				status: ["not in", ["Closed", "Cancelled"]],
				...(frm.doc.customer ? { customer: frm.doc.customer } : {}),
			},
		}));
		frm.set_query("delivery_note", () => ({
			filters: { docstatus: 1, is_return: 0, customer: frm.doc.customer },
		}));
		frm.set_query("sales_invoice", () => ({
			filters: { docstatus: 1, is_return: 0, customer: frm.doc.customer },
		}));
		frm.set_query("return_warehouse", () => ({
			filters: { company: frm.doc.company, is_group: 0 },
		}));
		frm.set_query("account", "deductions", () => ({
			filters: { company: frm.doc.company, is_group: 0 },
		}));
		frm.set_query("refund_reason", () => ({ filters: { disabled: 0 } }));
	},

	refresh(frm) {
		// rows come from the order (Create > Refund Request), never typed in
		frm.set_df_property("items", "cannot_add_rows", true);
		if (frm.doc.status === "Rejected") {
			frm.dashboard.set_headline_alert(
				__("Rejected: {0}. To appeal, add a comment or attach evidence, then use Actions > Appeal.", [
					frappe.utils.escape_html(frm.doc.rejection_reason || ""),
				]),
				"red"
			);
		}
		show_policy_notes(frm);
	},

	before_workflow_action(frm) {
		if (frm.selected_workflow_action !== "Reject") return;
		// Store the reason first: the workflow reloads the request from the database before it rejects.
		frappe.dom.unfreeze();
		return new Promise((resolve, reject) => {
			frappe.prompt(
				{ fieldname: "reason", fieldtype: "Small Text", label: __("Rejection Reason"), reqd: 1 },
				({ reason }) => {
					frappe.dom.freeze();
					frappe
						.xcall("refund_manager.approval.set_rejection_reason", { name: frm.doc.name, reason })
						.then(resolve, (error) => {
							frappe.dom.unfreeze();
							reject(error);
						});
				},
				__("Reject {0}", [frm.doc.name]),
				__("Reject")
			);
		});
	},

	sales_order(frm) {
		// Starting from an order (typed in instead of the Create button): map its lines in.
		if (frm.doc.sales_order && frm.is_new() && !(frm.doc.items || []).some((d) => d.sales_order_item)) {
			frappe.model.open_mapped_doc({
				method: "refund_manager.api.make_refund_request",
				source_name: frm.doc.sales_order,
				args: { source_doctype: "Sales Order" },
			});
		}
	},

	refund_reason(frm) {
		// the reason's defaults: refund type and whether goods come back
		if (!frm.doc.refund_reason) return;
		frappe.db
			.get_value("Refund Reason", frm.doc.refund_reason, ["return_goods_by_default", "default_refund_type"])
			.then((r) => {
				const reason = r.message || {};
				frm.set_value("refund_type", reason.default_refund_type || "Return");
				const goods = reason.return_goods_by_default && reason.default_refund_type !== "Price Adjustment" ? 1 : 0;
				if (goods !== frm.doc.return_goods) frm.set_value("return_goods", goods);
			});
	},

	refund_type(frm) {
		if (frm.doc.refund_type === "Price Adjustment" && frm.doc.return_goods) frm.set_value("return_goods", 0);
	},

	return_goods(frm) {
		frm.events.refresh_refundable_quantities(frm);
	},

	refresh_refundable_quantities(frm) {
		if (!frm.doc.sales_order) return;
		frappe
			.call("refund_manager.api.get_refundable_quantities", {
				sales_order: frm.doc.sales_order,
				return_goods: frm.doc.return_goods,
				refund_request: frm.is_new() ? null : frm.doc.name,
			})
			.then((r) => {
				const limits = r.message || {};
				(frm.doc.items || []).forEach((d) => {
					const limit = limits[d.sales_order_item] || 0;
					frappe.model.set_value(d.doctype, d.name, "max_refundable_qty", limit);
					if (d.qty > limit) frappe.model.set_value(d.doctype, d.name, "qty", limit);
				});
			});
	},
});

// What the refund policy says about this request (texts come escaped from the server).
function show_policy_notes(frm) {
	const lines = (text) => (text || "").split("\n").filter(Boolean).join("<br>");
	if (frm.doc.policy_violations) {
		const overridden = frm.doc.policy_override && frm.doc.overridden_by;
		frm.dashboard.add_comment(
			(overridden
				? __("Policy overridden by {0}:", [frappe.utils.escape_html(frm.doc.overridden_by)])
				: __("Breaks its refund policy:")) +
				"<br>" +
				lines(frm.doc.policy_violations),
			overridden ? "blue" : "red",
			true
		);
	}
	if (frm.doc.manual_review) {
		frm.dashboard.add_comment(
			__("Flagged for manual review:") + "<br>" + lines(frm.doc.risk_flags),
			"orange",
			true
		);
	}
}
