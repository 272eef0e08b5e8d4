"""/refunds/<name>: one Refund Request as its customer sees it (route rule in hooks; see refund_manager.portal)."""

import frappe
from frappe import _

from refund_manager import portal

no_cache = 1


def get_context(context):
	context.update(portal.request_context(frappe.form_dict.get("name")))
	context.show_sidebar = True
	context.parents = [{"route": "refunds", "title": _("My Refunds")}]
