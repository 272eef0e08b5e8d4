from urllib.parse import quote

import frappe

from refund_manager.core.feedback import MAX_STARS


def get_context(context):
	"""Links to the request's portal page, the rating form preset to 1..5 stars (the customer logs
	in and sends it there: a link alone never records a rating)."""
	url = frappe.utils.get_url(f"/refunds/{quote(context['doc'].name)}")
	context["request_url"] = url
	context["feedback_links"] = [
		(stars, f"{url}?rating={stars}#feedback") for stars in range(1, MAX_STARS + 1)
	]
