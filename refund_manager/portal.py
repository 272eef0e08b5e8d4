"""The customer portal: a portal customer's refunds (pages under refund_manager/www/refunds).

What a customer sees and does, each checked here on the server:
- My Refunds (/refunds): their customers' Refund Requests with status;
- one request (/refunds/<name>): status timeline, the breakdown, the rejection reason, an appeal
  form while rejected, a rating form once refunded;
- raise a refund (/refunds/new?order=...): from one of their submitted orders, lines and
  quantities up to what is still refundable, a reason, a comment and attachments.
A raised request goes through the real workflow ("Submit for Approval", applied as the customer,
whose role the workflow allows on that transition and on "Appeal"), so it ends Pending Approval,
or Approved when an auto-approval rule matches, exactly as one raised in the Desk.

"Their customers" are `refund_manager.permissions.customers_of(user)`; anything else is refused
with a PermissionError (HTTP 403) that says the same whether the document exists or not.
"""

import html
import json
import mimetypes
import os
from urllib.parse import quote

import frappe
from frappe import _
from frappe.model.document import Document
from frappe.model.workflow import apply_workflow
from frappe.utils import (
	cint,
	escape_html,
	flt,
	fmt_money,
	format_date,
	format_datetime,
	get_datetime,
	now_datetime,
	strip_html_tags,
)

from refund_manager import approval, breakdown, order_facts, permissions
from refund_manager.core import feedback, timeline
from refund_manager.core.problems import Problem
from refund_manager.core.quantities import refundable_qty
from refund_manager.core.selection import choose_lines

DOCTYPE = "Refund Request"
MAX_ATTACHMENTS = 5
MAX_COMMENT_LENGTH = 5000
# orders a customer may refund from (as the Refund Request itself requires)
REFUNDABLE_ORDER_STATUSES_EXCLUDED = ("Closed", "Cancelled", "On Hold")


class PortalError(frappe.ValidationError):
	pass


class AttachmentError(PortalError):
	pass


# ------------------------------------------------------------------ who


def require_login():
	if frappe.session.user == "Guest":
		frappe.throw(_("Log in to see your refunds."), frappe.PermissionError)


def require_customers() -> list[str]:
	"""The session user's customers; refused when the account is linked to none."""
	require_login()
	customers = permissions.customers_of()
	if not customers:
		frappe.throw(
			_("Your account is not linked to a customer. Please ask us to link it, then try again."),
			frappe.PermissionError,
		)
	return customers


def own_request(name: str, for_update: bool = False) -> Document:
	"""A Refund Request of one of the session user's customers, or a PermissionError."""
	customers = require_customers()
	customer = (
		frappe.db.get_value(DOCTYPE, name, "customer", for_update=for_update)
		if isinstance(name, str)
		else None
	)
	if not customer or customer not in customers:
		frappe.throw(
			_("Refund Request {0} is not one of your refund requests.").format(
				frappe.bold(escape_html(str(name)))
			),
			frappe.PermissionError,
		)
	return frappe.get_doc(DOCTYPE, name)


def own_order(sales_order: str) -> frappe._dict:
	"""A Sales Order of one of the session user's customers, or a PermissionError."""
	customers = require_customers()
	order = (
		frappe.db.get_value(
			"Sales Order",
			sales_order,
			["name", "customer", "company", "currency", "docstatus", "status"],
			as_dict=True,
		)
		if isinstance(sales_order, str)
		else None
	)
	if not order or order.customer not in customers:
		frappe.throw(
			_("Sales Order {0} is not one of your orders.").format(
				frappe.bold(escape_html(str(sales_order)))
			),
			frappe.PermissionError,
		)
	return order


# ------------------------------------------------------------------ reading: page contexts


def list_context() -> dict:
	"""/refunds: the session user's requests, newest first."""
	customers = require_customers()
	rr = frappe.qb.DocType(DOCTYPE)
	rows = (
		frappe.qb.from_(rr)
		.select(
			rr.name, rr.sales_order, rr.posting_date, rr.creation, rr.status, rr.refund_amount, rr.currency
		)
		# drafts are work in progress in the Desk: the customer sees requests once submitted
		.where(rr.customer.isin(customers) & (rr.status != "Draft"))
		.orderby(rr.creation, order=frappe.qb.desc)
		.limit(200)
	).run(as_dict=True)
	for row in rows:
		row.amount = fmt_money(row.refund_amount, currency=row.currency)
		row.raised_on = format_date(row.creation)
		row.indicator = indicator(row.status)
		row.status_label = _(row.status)
	return {"requests": rows, "orders": refundable_orders(customers)}


def refundable_orders(customers: list[str]) -> list[dict]:
	"""Submitted, open orders of these customers a refund may be raised from (newest first)."""
	so = frappe.qb.DocType("Sales Order")
	return (
		frappe.qb.from_(so)
		.select(so.name, so.transaction_date, so.grand_total, so.currency, so.status)
		.where(
			so.customer.isin(customers)
			& (so.docstatus == 1)
			& so.status.notin(REFUNDABLE_ORDER_STATUSES_EXCLUDED)
		)
		.orderby(so.transaction_date, order=frappe.qb.desc)
		.orderby(so.creation, order=frappe.qb.desc)
		.limit(100)
	).run(as_dict=True)


def raise_context(sales_order: str | None) -> dict:
	"""/refunds/new?order=...: the order's lines with what is still refundable, and the reasons."""
	customers = require_customers()
	if not sales_order:
		orders = refundable_orders(customers)
		for order in orders:
			order.total = fmt_money(order.grand_total, currency=order.currency)
		return {"orders": orders, "order": None, "client_messages": client_messages()}
	order = own_order(sales_order)
	check_order_open(order)
	facts = order_facts.load(order.name)
	delivered = any(line.delivered_qty > 0 for line in facts.order_lines.values())
	lines = []
	for name, priced in facts.lines.items():
		with_goods, without_goods = refundable_qty(priced.line, True), refundable_qty(priced.line, False)
		lines.append(
			{
				"name": name,
				"item_code": priced.item_code,
				"item_name": priced.item_name,
				"uom": priced.uom,
				"ordered_qty": priced.line.ordered_qty,
				"delivered_qty": priced.line.delivered_qty,
				"rate": fmt_money(priced.rate, currency=facts.currency),
				# limits by whether the chosen reason sends goods back (see return_goods_for)
				"limit_with_goods": with_goods if delivered else without_goods,
				"limit_without_goods": without_goods,
			}
		)
	return {
		"order": {"name": order.name, "status": order.status, "currency": facts.currency},
		"lines": lines,
		"reasons": portal_reasons(),
		"max_attachments": MAX_ATTACHMENTS,
		"max_file_size": max_file_size(),
		"client_messages": client_messages(),
	}


def portal_reasons() -> list[dict]:
	"""Enabled reasons a customer may give: returns (a price adjustment is agreed with us)."""
	rows = frappe.get_all(
		"Refund Reason",
		filters={"disabled": 0, "default_refund_type": ("in", ("Return", "", None))},
		fields=["name", "return_goods_by_default", "requires_evidence", "description"],
		order_by="name asc",
		ignore_permissions=True,
	)
	for row in rows:
		row.description = text_of(row.description)
	return rows


def request_context(name: str) -> dict:
	"""/refunds/<name>: one request as its customer sees it."""
	require_login()
	doc = readable_request(name)
	is_owner = permissions.owns(doc)
	rated = bool(doc.feedback_on)
	data = breakdown.of_request(doc)
	money = lambda value: fmt_money(value, currency=doc.currency)  # noqa: E731
	return {
		"doc": doc,
		"title": _("Refund Request {0}").format(doc.name),
		"status_label": _(doc.status),
		"indicator": indicator(doc.status),
		"breakdown": data,
		"lines": [
			{
				**line,
				"rate": money(line["rate"]),
				"amount": money(line["amount"]),
				"tax_amount": money(line["tax_amount"]),
			}
			for line in data["lines"]
		],
		"deductions": [{**d, "amount": money(d["amount"])} for d in data["deductions"]],
		"totals": {
			key: money(data.get(key) or 0)
			for key in ("items_total", "taxes_total", "shipping_amount", "deductions_total", "refund_amount")
		},
		"has_shipping": bool(flt(data.get("shipping_amount"))),
		"description": text_of(doc.description),
		"rejection_reason": text_of(doc.rejection_reason) if doc.status == "Rejected" else None,
		"events": [event_view(e) for e in request_timeline(doc)],
		"next_step": next_step_text(timeline.next_step(doc.status, rated)),
		"attachments": attachments_of(doc),
		"can_appeal": is_owner and doc.status == "Rejected",
		"can_rate": is_owner and doc.status == feedback.RATEABLE_STATUS and not rated,
		"rated_stars": feedback.to_stars(doc.feedback_rating) if rated else None,
		"feedback_comment": text_of(doc.feedback_comment),
		"preset_stars": feedback.parse_stars(frappe.form_dict.get("rating")),
		"max_attachments": MAX_ATTACHMENTS,
		"max_file_size": max_file_size(),
		"client_messages": client_messages(),
		"print_url": print_url(doc),
	}


def readable_request(name: str) -> Document:
	"""The request when the session user may read it (their own as a portal customer; staff by role)."""
	doc = None
	if isinstance(name, str) and frappe.db.exists(DOCTYPE, name):
		doc = frappe.get_doc(DOCTYPE, name)
	if not doc or not (permissions.owns(doc) or frappe.has_permission(DOCTYPE, "read", doc)):
		frappe.throw(
			_("Refund Request {0} is not one of your refund requests.").format(
				frappe.bold(escape_html(str(name)))
			),
			frappe.PermissionError,
		)
	return doc


def request_timeline(doc: Document) -> list[timeline.Event]:
	"""The request's events from its workflow notes, Version rows, timestamps and the customer's comments."""
	changes = [(get_datetime(c.creation), text_of(c.content)) for c in workflow_notes(doc.name)]
	field = (
		approval.active_workflow().workflow_state_field if approval.active_workflow() else "workflow_state"
	)
	for version in frappe.get_all(
		"Version",
		filters={"ref_doctype": DOCTYPE, "docname": doc.name},
		fields=["creation", "data"],
		order_by="creation asc",
	):
		data = json.loads(version.data or "{}")
		for fieldname, _old, new in data.get("changed") or []:
			if fieldname == field and new:
				changes.append((get_datetime(version.creation), new))
	comments = [(get_datetime(c.creation), text_of(c.content)) for c in customer_comments(doc)]
	moment = lambda value: get_datetime(value) if value else None  # noqa: E731
	return timeline.build(
		get_datetime(doc.creation),
		doc.status,
		changes,
		comments,
		requested_on=moment(doc.requested_on),
		approved_on=moment(doc.approved_on),
		rejected_on=moment(doc.rejected_on),
		refunded_on=moment(doc.refunded_on),
		feedback_on=moment(doc.feedback_on),
		feedback_stars=feedback.to_stars(doc.feedback_rating) if doc.feedback_on else None,
	)


def workflow_notes(name: str) -> list:
	return frappe.get_all(
		"Comment",
		filters={"reference_doctype": DOCTYPE, "reference_name": name, "comment_type": "Workflow"},
		fields=["creation", "content"],
		order_by="creation asc",
	)


def customer_comments(doc: Document) -> list:
	"""Comments written by the customer's own users (staff comments stay internal)."""
	users = permissions.users_of(doc.customer)
	if not users:
		return []
	return frappe.get_all(
		"Comment",
		filters={
			"reference_doctype": DOCTYPE,
			"reference_name": doc.name,
			"comment_type": "Comment",
			"comment_email": ("in", users),
		},
		fields=["creation", "content"],
		order_by="creation asc",
	)


EVENT_LABELS = {
	timeline.RAISED: lambda: _("Request raised"),
	timeline.SUBMITTED: lambda: _("Submitted for approval"),
	timeline.APPEALED: lambda: _("Appealed"),
	timeline.FINANCE_REVIEW: lambda: _("Passed to finance for approval"),
	timeline.APPROVED: lambda: _("Approved"),
	timeline.REJECTED: lambda: _("Not approved"),
	timeline.REFUNDED: lambda: _("Refund paid"),
	timeline.CREDITED: lambda: _("Credited to your account"),
	timeline.CANCELLED: lambda: _("Cancelled"),
	timeline.COMMENT: lambda: _("Your comment"),
	timeline.FEEDBACK: lambda: _("You rated the refund"),
}


def event_view(event: timeline.Event) -> dict:
	label = EVENT_LABELS[event.kind]() if event.kind in EVENT_LABELS else _(event.text or "")
	text = None
	if event.kind == timeline.COMMENT:
		text = event.text
	elif event.kind == timeline.FEEDBACK:
		text = _("{0} of {1} stars").format(event.text, feedback.MAX_STARS)
	return {"kind": event.kind, "label": label, "text": text, "moment": format_datetime(event.moment)}


def next_step_text(step: str | None) -> str | None:
	return {
		"submit": lambda: _("This request has not been submitted yet."),
		"decision": lambda: _("We are reviewing your request and will let you know by e-mail."),
		"appeal": lambda: _("You can appeal: tell us more or attach evidence below."),
		"payment": lambda: _("Approved: the refund is being booked."),
		"feedback": lambda: _("How did we do? Rate this refund below."),
	}.get(step, lambda: None)()


def attachments_of(doc: Document) -> list[dict]:
	return frappe.get_all(
		"File",
		filters={"attached_to_doctype": DOCTYPE, "attached_to_name": doc.name, "is_folder": 0},
		fields=["file_name", "file_url", "creation"],
		order_by="creation asc",
	)


def print_url(doc: Document) -> str | None:
	"""The customer-facing print (Refund Statement) when the site has it; the standard print shows
	internal approval fields, so no link without it."""
	if not frappe.db.exists("Print Format", "Refund Statement"):
		return None
	return f"/printview?doctype={quote(DOCTYPE)}&name={quote(doc.name)}&format={quote('Refund Statement')}"


def client_messages() -> dict:
	"""Messages the page script shows before asking the server, translated here."""
	return {
		"too_many_files": _("Attach at most {0} files."),
		"file_too_large": _("{0} is larger than {1} MB."),
		"request_too_large": _("The attachments are too large."),
		"failed": _("The request failed ({0}). Please try again."),
		"offline": _("Could not reach the server. Please try again."),
	}


def indicator(status: str) -> str:
	return {
		"Draft": "gray",
		"Pending Approval": "orange",
		"Pending Finance Approval": "orange",
		"Approved": "blue",
		"Credited": "green",
		"Refunded": "green",
		"Rejected": "red",
		"Cancelled": "gray",
	}.get(status, "gray")


def text_of(value: str | None) -> str:
	"""Plain text of stored (sanitized or escaped) HTML, for the templates to escape once."""
	return html.unescape(strip_html_tags(value or "")).strip()


# ------------------------------------------------------------------ acting: whitelisted API


@frappe.whitelist(methods=["POST"])
def raise_refund(sales_order: str, items: str | dict, refund_reason: str, comment: str | None = None) -> dict:
	"""Raise a Refund Request from one of the customer's orders and submit it for approval.

	`items` is `{sales_order_item: qty}` (a JSON string from a form); attachments come as files
	named `attachments` in the same multipart request.
	"""
	order = own_order(sales_order)
	check_order_open(order)
	reason = portal_reason(refund_reason)
	comment = checked_comment(comment)
	files = uploaded_files()
	if reason.requires_evidence and not files:
		frappe.throw(
			_("Refund Reason {0} needs evidence: attach a photo or document.").format(
				frappe.bold(reason.name)
			),
			AttachmentError,
			title=_("Evidence Required"),
		)

	facts = order_facts.load(order.name)
	return_goods = return_goods_for(reason, facts)
	refundable = {
		name: qty
		for name, line in facts.order_lines.items()
		if (qty := refundable_qty(line, return_goods)) > 0
	}
	chosen, problems = choose_lines(parsed_items(items), refundable)
	throw_problems(problems, facts)

	doc = frappe.new_doc(DOCTYPE)
	doc.update(
		{
			"sales_order": order.name,
			# as the mapper copies them from the order (new_doc would fill the user's default company)
			"customer": order.customer,
			"company": order.company,
			"currency": order.currency,
			"refund_reason": reason.name,
			"refund_type": "Return",
			"return_goods": cint(return_goods),
			"description": escape_html(comment) if comment else None,
			# the person who raised it hears about it (status e-mails, the rating request)
			"contact_email": frappe.db.get_value("User", frappe.session.user, "email"),
		}
	)
	for line, qty in chosen.items():
		doc.append("items", {"sales_order_item": line, "qty": qty})
	order_facts.link_latest_source_lines(doc)
	# the customer has no create permission: this function has checked what the Desk's role check would
	doc.insert(ignore_permissions=True)
	attach(doc, files)
	doc = apply_workflow(doc.as_dict(), approval.SUBMIT_FOR_APPROVAL)
	return {"name": doc.name, "status": doc.status, "route": f"/refunds/{doc.name}"}


@frappe.whitelist(methods=["POST"])
def appeal_refund(name: str, comment: str | None = None) -> dict:
	"""Appeal a rejected request with a new comment and/or attachments (files named `attachments`)."""
	doc = own_request(name, for_update=True)
	if doc.status != "Rejected":
		frappe.throw(
			_("Refund Request {0} is {1}: only a rejected request can be appealed.").format(
				frappe.bold(doc.name), _(doc.status)
			),
			PortalError,
		)
	comment = checked_comment(comment)
	files = uploaded_files()
	if not comment and not files:
		frappe.throw(
			_("Tell us why you appeal, or attach evidence, before appealing."),
			approval.AppealEvidenceRequiredError,
			title=_("Appeal Needs New Information"),
		)
	if comment:
		user = frappe.session.user
		doc.add_comment(
			"Comment", escape_html(comment), comment_email=user, comment_by=frappe.utils.get_fullname(user)
		)
	attach(doc, files)
	doc = apply_workflow(doc.as_dict(), approval.APPEAL)
	return {"name": doc.name, "status": doc.status, "route": f"/refunds/{doc.name}"}


@frappe.whitelist(methods=["POST"])
def rate_refund(name: str, rating: int | str, comment: str | None = None) -> dict:
	"""Rate a refunded request 1-5 stars with an optional comment, once."""
	doc = own_request(name, for_update=True)  # the row lock makes "once" hold under double clicks
	comment = (comment or "").strip()
	stars, problems = feedback.check(rating, comment, doc.status, already_rated=bool(doc.feedback_on))
	if problems:
		frappe.throw(
			[feedback_message(doc, p) for p in problems], PortalError, title=_("Feedback"), as_list=True
		)
	now = now_datetime()
	doc.db_set(
		{
			"feedback_rating": feedback.to_fraction(stars),
			# the customer's words as text: escaped, so the Desk shows them as typed, never as markup
			"feedback_comment": escape_html(comment) if comment else None,
			"feedback_on": now,
		},
		update_modified=False,
		notify=True,
	)
	doc.add_comment(
		"Info", _("The customer rated this refund {0} of {1} stars.").format(stars, feedback.MAX_STARS)
	)
	return {"name": doc.name, "stars": stars}


# ------------------------------------------------------------------ checks


def check_order_open(order: frappe._dict):
	if order.docstatus != 1 or order.status in REFUNDABLE_ORDER_STATUSES_EXCLUDED:
		frappe.throw(
			_("Sales Order {0} is {1}: a refund cannot be raised from it here. Please contact us.").format(
				frappe.bold(order.name), _(order.status or "Draft")
			),
			PortalError,
		)


def portal_reason(name: str) -> frappe._dict:
	reason = next((r for r in portal_reasons() if r.name == name), None) if isinstance(name, str) else None
	if not reason:
		frappe.throw(
			_("Choose one of the listed reasons ({0} is not one of them).").format(
				frappe.bold(escape_html(str(name or "")))
			),
			PortalError,
		)
	return reason


def return_goods_for(reason: frappe._dict, facts: order_facts.OrderFacts) -> bool:
	"""As the Desk form sets it from the reason; goods come back only if some were delivered."""
	delivered = any(line.delivered_qty > 0 for line in facts.order_lines.values())
	return bool(reason.return_goods_by_default) and delivered


def parsed_items(items: str | dict) -> dict:
	if isinstance(items, str):
		try:
			items = json.loads(items or "{}")
		except ValueError:
			items = None
	if not isinstance(items, dict):
		frappe.throw(_("Choose the lines to refund and their quantities."), PortalError)
	return items


def checked_comment(comment: str | None) -> str:
	comment = (comment or "").strip() if isinstance(comment, str) else ""
	if len(comment) > MAX_COMMENT_LENGTH:
		frappe.throw(
			_("The comment is too long: at most {0} characters.").format(MAX_COMMENT_LENGTH), PortalError
		)
	return comment


def throw_problems(problems: list[Problem], facts: order_facts.OrderFacts):
	if not problems:
		return
	item = lambda line: facts.lines[line].item_code if line in facts.lines else escape_html(str(line))  # noqa: E731
	messages = {
		"no_rows": lambda p: _("Choose at least one line and the quantity to refund."),
		"unknown_line": lambda p: _(
			"{0} is not a line of Sales Order {1} that can still be refunded."
		).format(frappe.bold(item(p.values["line"])), frappe.bold(facts.sales_order)),
		"qty_not_a_number": lambda p: _("{0}: the quantity {1} is not a number.").format(
			frappe.bold(item(p.values["line"])), frappe.bold(escape_html(str(p.values["qty"])))
		),
		"qty_not_positive": lambda p: _("{0}: the quantity must be more than 0.").format(
			frappe.bold(item(p.values["line"]))
		),
		"qty_over_refundable": lambda p: _("{0}: at most {1} can still be refunded, not {2}.").format(
			frappe.bold(item(p.values["line"])),
			frappe.bold(f"{p.values['limit']:g}"),
			frappe.bold(f"{p.values['qty']:g}"),
		),
	}
	frappe.throw(
		[messages[p.code](p) for p in problems], PortalError, title=_("Check the lines"), as_list=True
	)


def feedback_message(doc: Document, problem: Problem) -> str:
	return {
		"not_refunded": lambda: _(
			"Refund Request {0} is {1}: it can be rated once the refund is paid."
		).format(frappe.bold(doc.name), _(doc.status)),
		"already_rated": lambda: _("You have already rated Refund Request {0}. Thank you!").format(
			frappe.bold(doc.name)
		),
		"rating_invalid": lambda: _("Choose 1 to {0} stars.").format(feedback.MAX_STARS),
		"comment_too_long": lambda: _("The comment is too long: at most {0} characters.").format(
			problem.values["limit"]
		),
	}[problem.code]()


# ------------------------------------------------------------------ attachments


def max_file_size() -> int:
	from frappe.core.api.file import get_max_file_size

	return get_max_file_size()


def uploaded_files() -> list[tuple[str, bytes]]:
	"""The files of this request's `attachments` field: count, type and size checked, read."""
	from frappe.handler import ALLOWED_MIMETYPES

	request = getattr(frappe.local, "request", None)
	files = [
		f for f in (request.files.getlist("attachments") if request and request.files else []) if f.filename
	]
	if len(files) > MAX_ATTACHMENTS:
		frappe.throw(_("Attach at most {0} files.").format(MAX_ATTACHMENTS), AttachmentError)
	limit = max_file_size()
	read = []
	for file in files:
		name = os.path.basename(file.filename.replace("\\", "/")).strip() or "attachment"
		if mimetypes.guess_type(name)[0] not in ALLOWED_MIMETYPES:
			frappe.throw(
				_("{0}: you can attach JPG, PNG, PDF, TXT, CSV or office documents only.").format(
					frappe.bold(escape_html(name))
				),
				AttachmentError,
			)
		content = file.stream.read(limit + 1)
		if len(content) > limit:
			frappe.throw(
				_("{0} is larger than {1} MB.").format(
					frappe.bold(escape_html(name)), flt(limit / 1048576, 1)
				),
				AttachmentError,
			)
		if mimetypes.guess_type(name)[0].startswith("image/") and not is_image(content):
			frappe.throw(
				_("{0} is not a readable image.").format(frappe.bold(escape_html(name))), AttachmentError
			)
		read.append((name, content))
	return read


def is_image(content: bytes) -> bool:
	"""Frappe re-encodes JPEG uploads (EXIF removed): a file that only claims to be an image must
	be refused with a message, not fail there."""
	from io import BytesIO

	from PIL import Image

	try:
		with Image.open(BytesIO(content)) as image:
			image.verify()
	except Exception:
		return False
	return True


def attach(doc: Document, files: list[tuple[str, bytes]]):
	"""Private files attached to the request (readable by whoever may read the request)."""
	for name, content in files:
		frappe.get_doc(
			{
				"doctype": "File",
				"file_name": name,
				"content": content,
				"is_private": 1,
				"attached_to_doctype": DOCTYPE,
				"attached_to_name": doc.name,
			}
		).insert(ignore_permissions=True)
