"""What install puts on the site, reasons and roles: checked on the real site."""

import frappe
import pytest

from refund_manager import install
from refund_manager.refund_manager.doctype.refund_request.refund_request import (
	MissingEvidenceError,
	RefundRequestError,
)
from tests.integration import factories as f

pytestmark = pytest.mark.usefixtures("company")


def paid_order(qty=2, rate=100.0):
	customer = f.make_customer()
	item = f.make_item()
	so = f.make_sales_order(customer, [(item, qty, rate)])
	si = f.bill(so.name)
	f.pay("Sales Invoice", si.name)
	return so


def site_setup_counts():
	return {
		"roles": frappe.db.count("Role", {"name": ("in", install.ROLES)}),
		"custom_fields": frappe.db.count("Custom Field", {"fieldname": "refund_request"}),
		"reasons": frappe.db.count("Refund Reason"),
		"workflows": frappe.db.count("Workflow", {"document_type": "Refund Request"}),
		"workflow_states": frappe.db.count("Workflow State"),
		"workflow_actions": frappe.db.count("Workflow Action Master"),
		"email_templates": frappe.db.count("Email Template"),
		"notifications": frappe.db.count("Notification", {"document_type": "Refund Request"}),
	}


def test_install_steps_are_idempotent():
	install.after_install()
	before = site_setup_counts()
	install.after_migrate()
	install.after_migrate()
	assert site_setup_counts() == before
	assert before["roles"] == len(install.ROLES)
	assert before["custom_fields"] == len(install.POSTED_DOCTYPES)
	for doctype in install.POSTED_DOCTYPES:
		field = frappe.get_meta(doctype).get_field("refund_request")
		assert field and field.options == "Refund Request" and field.read_only and field.no_copy
	assert set(frappe.get_all("Refund Reason", pluck="name")) >= {r[0] for r in install.DEFAULT_REASONS}


def test_settings_defaults_never_overwrite_what_an_administrator_set():
	settings = frappe.get_single("Refund Settings")
	mode = frappe.db.get_value("Mode of Payment", {"name": ("!=", "Cash")})
	settings.default_mode_of_payment = mode
	settings.due_soon_hours = 0  # no Due Soon window: a choice, not a missing value
	settings.escalation_role = "Accounts Manager"
	settings.save()
	install.after_migrate()
	assert frappe.db.get_single_value("Refund Settings", "default_mode_of_payment") == mode
	assert frappe.db.get_single_value("Refund Settings", "due_soon_hours") == 0
	assert frappe.db.get_single_value("Refund Settings", "escalation_role") == "Accounts Manager"


def test_disabled_reason_is_refused():
	so = paid_order()
	reason = frappe.get_doc({"doctype": "Refund Reason", "reason": f.unique("Old Reason"), "disabled": 1}).insert()
	doc = f.refund_request_for(so.name, reason=reason.name)
	with pytest.raises(RefundRequestError, match="is disabled"):
		doc.insert()


def test_reason_requiring_evidence_blocks_submit_until_a_file_is_attached():
	so = paid_order()
	doc = f.refund_request_for(so.name, reason="Damaged")
	doc.insert()
	with pytest.raises(MissingEvidenceError, match="requires evidence"):
		f.act(doc, "Submit for Approval")
	assert frappe.db.get_value("Refund Request", doc.name, ["docstatus", "status"]) == (0, "Draft")

	frappe.get_doc(
		{
			"doctype": "File",
			"file_name": "broken-box.txt",
			"content": b"photo of the broken box",
			"attached_to_doctype": "Refund Request",
			"attached_to_name": doc.name,
		}
	).insert()
	doc.reload()
	f.approve(doc)
	assert doc.docstatus == 1


def test_sales_user_raises_but_cannot_approve():
	so = paid_order()
	user = f.make_user("Sales User")
	frappe.set_user(user)
	doc = f.refund_request_for(so.name)
	doc.insert()
	assert not frappe.has_permission("Refund Request", "submit", doc=doc, user=user)
	with pytest.raises(frappe.PermissionError):
		doc.submit()
	frappe.set_user("Administrator")
	assert frappe.db.get_value("Refund Request", doc.name, "docstatus") == 0


def test_user_without_sales_role_cannot_raise_a_request():
	so = paid_order()
	user = f.make_user("Stock User")
	frappe.set_user(user)
	with pytest.raises(frappe.PermissionError):
		f.refund_request_for(so.name).insert()


def test_invoice_without_sales_order_gives_a_clear_message():
	customer = f.make_customer()
	item = f.make_item()
	si = frappe.get_doc(
		{
			"doctype": "Sales Invoice",
			"company": f.COMPANY,
			"customer": customer,
			"currency": "USD",
			"items": [{"item_code": item, "qty": 1, "rate": 10}],
		}
	).insert()
	si.submit()
	with pytest.raises(frappe.ValidationError, match="is not linked to a Sales Order"):
		f.refund_request_for(si.name, "Sales Invoice")


def test_refundable_quantities_endpoint_follows_return_goods():
	from refund_manager.api import get_refundable_quantities

	customer = f.make_customer()
	item = f.make_item()
	so = f.make_sales_order(customer, [(item, 5, 10.0)])
	f.deliver(so.name, {item: 2})
	line = so.items[0].name
	assert get_refundable_quantities(so.name, return_goods=1) == {line: 2}
	assert get_refundable_quantities(so.name, return_goods=0) == {line: 5}


def test_install_adds_the_indexes_refund_ledger_reads_through():
	install.add_indexes()  # again: nothing happens (an index is added only when missing)
	for doctype, name, fields in (install.GL_INDEX, install.REQUEST_INDEX):
		columns = [r[4] for r in frappe.db.has_index(f"tab{doctype}", name)]
		assert columns == list(fields)
	assert frappe.db.has_index("tabRefund Posting", "parent_reference_index")
