"""Site setup for refund_manager: created idempotently on install and migrate, removed on uninstall.

Each `add_*` step checks what exists first, so running it twice (install, then migrate, then
migrate again) changes nothing the second time.
"""

import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

ROLES = ("Refund Approver", "Refund Manager")

DEFAULT_REASONS = (
	# reason, goods come back by default, evidence required, default refund type
	("Damaged", 1, 1, "Return"),
	("Wrong Item", 1, 0, "Return"),
	("Not as Described", 1, 1, "Return"),
	("Late Delivery", 0, 0, "Return"),
	("Changed Mind", 1, 0, "Return"),
	("Price Adjustment", 0, 0, "Price Adjustment"),
)

# Documents this app creates link back to their Refund Request (read only, never copied).
POSTED_DOCTYPES = ("Delivery Note", "Sales Invoice", "Payment Entry", "Journal Entry")


def get_custom_fields() -> dict:
	field = {
		"fieldname": "refund_request",
		"label": "Refund Request",
		"fieldtype": "Link",
		"options": "Refund Request",
		"read_only": 1,
		"no_copy": 1,
		"print_hide": 1,
		"search_index": 1,
		"insert_after": "amended_from",
		"module": "Refund Manager",
	}
	return {doctype: [dict(field)] for doctype in POSTED_DOCTYPES}


def after_install():
	add_roles()
	add_custom_fields()
	add_default_reasons()
	add_settings_defaults()


def after_migrate():
	after_install()


def before_uninstall():
	remove_custom_fields()
	remove_roles()


def add_roles():
	for role in ROLES:
		if not frappe.db.exists("Role", role):
			frappe.get_doc({"doctype": "Role", "role_name": role, "desk_access": 1}).insert(
				ignore_permissions=True
			)


def add_custom_fields():
	create_custom_fields(get_custom_fields(), ignore_validate=True)


def add_default_reasons():
	for reason, return_goods, requires_evidence, refund_type in DEFAULT_REASONS:
		if not frappe.db.exists("Refund Reason", reason):
			frappe.get_doc(
				{
					"doctype": "Refund Reason",
					"reason": reason,
					"return_goods_by_default": return_goods,
					"requires_evidence": requires_evidence,
					"default_refund_type": refund_type,
				}
			).insert(ignore_permissions=True)


def add_settings_defaults():
	"""Fill empty settings only: what an administrator has set is never overwritten."""
	settings = frappe.get_single("Refund Settings")
	changed = False
	if not settings.default_mode_of_payment:
		mode = "Cash" if frappe.db.exists("Mode of Payment", "Cash") else None
		if mode:
			settings.default_mode_of_payment = mode
			changed = True
	if changed:
		settings.flags.ignore_permissions = True
		settings.save()


def remove_custom_fields():
	for doctype, fields in get_custom_fields().items():
		for field in fields:
			name = frappe.db.get_value("Custom Field", {"dt": doctype, "fieldname": field["fieldname"]})
			if name:
				frappe.delete_doc("Custom Field", name, ignore_permissions=True, force=True)
			# Frappe keeps the column of a deleted Custom Field; ours holds nothing anybody else needs
			if frappe.db.has_column(doctype, field["fieldname"]):
				frappe.db.sql_ddl(f"alter table `tab{doctype}` drop column `{field['fieldname']}`")
		frappe.clear_cache(doctype=doctype)


def remove_roles():
	for role in ROLES:
		if not frappe.db.exists("Role", role):
			continue
		for child_doctype in ("Has Role", "Custom DocPerm", "DocPerm"):
			frappe.db.delete(child_doctype, {"role": role})
		frappe.delete_doc("Role", role, ignore_permissions=True, force=True)
