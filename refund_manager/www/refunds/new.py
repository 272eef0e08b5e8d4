"""/refunds/new[?order=SO-...]: raise a refund from one of the customer's orders (see refund_manager.portal)."""

import frappe
from frappe import _

from refund_manager import portal

no_cache = 1


def get_context(context):
	context.update(portal.raise_context(frappe.form_dict.get("order")))
	context.title = _("Raise a refund")
	context.show_sidebar = True
	context.parents = [{"route": "refunds", "title": _("My Refunds")}]
