"""/refunds: My Refunds, the portal customer's Refund Requests (see refund_manager.portal)."""

from frappe import _

from refund_manager import portal

no_cache = 1


def get_context(context):
	context.update(portal.list_context())
	context.title = _("My Refunds")
	context.show_sidebar = True
