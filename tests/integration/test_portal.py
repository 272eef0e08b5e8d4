"""The customer portal on a real site, over HTTP against a served copy of it (`served_site`).

Two portal customers (Alice: a Portal User of her customer; Bob: linked through a Contact) read and
act through the pages and the API; each tries to read or act on the other's requests and orders
and is refused (403 or a clear message) with nothing written. Raising gives a request like one
raised in the Desk: Pending Approval, or approved and posted under an auto-approval rule; a rejection
is appealed; a refund is rated once. The data is committed (the server is another process) and
removed at the end of the session (tests/integration/portal_world.py).

The permission hooks themselves are also checked in-process, for portal and desk users.
"""

import json

import frappe
import pytest

from refund_manager import install, permissions
from tests.integration import factories as f
from tests.integration.portal_world import (
	PortalClient,
	image,
	link_as_portal_user,
	link_through_contact,
	messages,
	portal_user,
	reject_as_admin,
	sync,
)
from tests.integration.test_approval_workflow import queued_emails

pytestmark = pytest.mark.usefixtures("company")

RR = "Refund Request"


def login(served_site, user) -> PortalClient:
	return PortalClient(served_site).login(user)


def raise_refund(client, who, quantities=None, reason="Changed Mind", comment="", files=None):
	"""POST the raise form: `quantities` by index of the order's items (default: 1 of the first)."""
	codes = list(who.lines)
	quantities = quantities or {0: 1}
	items = {who.lines[codes[i]]: qty for i, qty in quantities.items()}
	data = {"sales_order": who.order, "items": json.dumps(items), "refund_reason": reason, "comment": comment}
	return client.call("refund_manager.portal.raise_refund", data, files=files)


def raised(response) -> frappe._dict:
	assert response.status_code == 200, messages(response)
	sync()
	return frappe.get_doc(RR, response.json()["message"]["name"])


def counts(**filters) -> dict:
	"""What exists for one order or request: requests, files, comments."""
	names = frappe.get_all(RR, filters=filters, pluck="name") if filters else []
	return {
		"requests": len(names),
		"files": frappe.db.count(
			"File", {"attached_to_doctype": RR, "attached_to_name": ("in", names or [""])}
		),
		"comments": frappe.db.count(
			"Comment", {"reference_doctype": RR, "reference_name": ("in", names or [""])}
		),
		"states": sorted(frappe.get_all(RR, filters=filters, pluck="workflow_state")) if filters else [],
	}


# ---------------------------------------------------------------- reading: only their own


def test_each_customer_reads_only_their_own_requests_through_pages_and_api(served_site, portal_world):
	alice, bob = login(served_site, portal_world.a.user), login(served_site, portal_world.b.user)
	mine = raised(raise_refund(alice, portal_world.a, comment="Alice's request"))
	theirs = raised(raise_refund(bob, portal_world.b, comment="Bob's request"))

	listing = alice.page("/refunds")
	assert listing.status_code == 200
	assert mine.name in listing.text and theirs.name not in listing.text
	assert "My Refunds" in listing.text

	api_list = alice.get(f"/api/resource/{RR}", limit_page_length=1000)
	names = {row["name"] for row in api_list.json()["data"]}
	assert mine.name in names and theirs.name not in names
	assert names <= set(frappe.get_all(RR, filters={"customer": portal_world.a.customer}, pluck="name"))

	for path in (
		f"/api/resource/{RR}/{theirs.name}",
		f"/api/method/frappe.client.get?doctype={RR}&name={theirs.name}",
		f"/api/method/frappe.desk.form.load.getdoc?doctype={RR}&name={theirs.name}",
	):
		response = alice.get(path)
		assert response.status_code == 403, path
		assert portal_world.b.customer not in response.text
	page = alice.page(f"/refunds/{theirs.name}")
	assert page.status_code == 403
	assert "is not one of your refund requests" in page.text and portal_world.b.customer not in page.text
	printed = alice.page("/printview", doctype=RR, name=theirs.name)
	assert printed.status_code == 403 or portal_world.b.customer not in printed.text
	assert alice.get(f"/api/resource/{RR}/{mine.name}").status_code == 200
	assert alice.page(f"/refunds/{mine.name}").status_code == 200

	# a request that does not exist says the same as someone else's (nothing to learn from it)
	assert "is not one of your refund requests" in alice.page("/refunds/RFR-0000-99999").text


def test_orders_of_another_customer_are_refused_and_nothing_is_written(served_site, portal_world):
	alice = login(served_site, portal_world.a.user)
	before = counts(sales_order=portal_world.b.order)

	page = alice.page("/refunds/new", order=portal_world.b.order)
	assert page.status_code == 403 and "is not one of your orders" in page.text
	response = raise_refund(
		alice, portal_world.b, files=[("attachments", ("proof.txt", b"not mine", "text/plain"))]
	)
	assert response.status_code == 403
	assert "is not one of your orders" in messages(response)
	for path in (
		f"/api/resource/Sales Order/{portal_world.b.order}",
		f"/api/resource/Sales Order/{portal_world.a.order}",
	):
		assert alice.get(path).status_code == 403  # orders are shown through the portal pages only

	own_orders = alice.page("/refunds/new")
	assert portal_world.a.order in own_orders.text and portal_world.b.order not in own_orders.text
	sync()
	assert counts(sales_order=portal_world.b.order) == before
	assert not frappe.db.exists("File", {"file_name": "proof.txt", "attached_to_doctype": RR})


def test_requests_of_another_customer_cannot_be_acted_on(served_site, portal_world):
	alice, bob = login(served_site, portal_world.a.user), login(served_site, portal_world.b.user)
	rejected = raised(raise_refund(bob, portal_world.b))
	reject_as_admin(rejected.name, "Not in its original packaging")
	refunded = raised(raise_refund(bob, portal_world.b, reason=portal_world.auto_reason))
	assert refunded.status == "Refunded"
	before = {name: counts(name=name) for name in (rejected.name, refunded.name)}
	modified = {name: frappe.db.get_value(RR, name, "modified") for name in before}

	attempts = [
		alice.call(
			"refund_manager.portal.appeal_refund", {"name": rejected.name, "comment": "let me appeal"}
		),
		alice.call(
			"refund_manager.portal.rate_refund", {"name": refunded.name, "rating": 1, "comment": "bad"}
		),
		alice.call(
			"frappe.model.workflow.apply_workflow",
			{"doc": json.dumps({"doctype": RR, "name": rejected.name}), "action": "Appeal"},
		),
		alice.call(
			"frappe.desk.form.utils.add_comment",
			{
				"reference_doctype": RR,
				"reference_name": rejected.name,
				"content": "sneaky",
				"comment_email": portal_world.a.user,
				"comment_by": "Alice",
			},
		),
		alice.call(
			"upload_file",
			{"doctype": RR, "docname": rejected.name, "is_private": 1},
			files=[("file", ("evidence.txt", b"not mine", "text/plain"))],
		),
		alice.resource("PUT", f"{RR}/{rejected.name}", {"workflow_state": "Pending Approval"}),
		alice.resource("PUT", f"{RR}/{refunded.name}", {"feedback_rating": 0.2}),
		alice.resource("DELETE", f"{RR}/{rejected.name}"),
		alice.resource(
			"POST", RR, {"sales_order": portal_world.b.order, "customer": portal_world.b.customer}
		),
	]
	for response in attempts:
		assert response.status_code in (403, 417), (
			response.request.url,
			response.status_code,
			response.text[:300],
		)
	assert attempts[0].status_code == 403 and "is not one of your refund requests" in messages(attempts[0])
	assert attempts[1].status_code == 403 and "is not one of your refund requests" in messages(attempts[1])

	sync()
	assert {name: counts(name=name) for name in before} == before
	assert {name: frappe.db.get_value(RR, name, "modified") for name in before} == modified
	assert frappe.db.get_value(RR, rejected.name, "workflow_state") == "Rejected"
	assert frappe.db.get_value(RR, refunded.name, ["feedback_rating", "feedback_on"]) == (0, None)


# ---------------------------------------------------------------- raising a refund


def test_a_raised_request_is_pending_approval_like_one_raised_in_the_desk(served_site, portal_world):
	alice = login(served_site, portal_world.a.user)
	comment = 'The lid was cracked <script>alert("x")</script>'
	page = alice.page("/refunds/new", order=portal_world.a.order)
	assert page.status_code == 200 and 'name="refund_reason"' in page.text
	assert "Price Adjustment" not in page.text  # agreed with the company, not asked for here

	response = raise_refund(
		alice,
		portal_world.a,
		quantities={0: 2, 1: 1},
		comment=comment,
		files=[("attachments", ("lid.png", image(), "image/png"))],
	)
	doc = raised(response)
	assert response.json()["message"]["route"] == f"/refunds/{doc.name}"
	assert (doc.status, doc.workflow_state, doc.docstatus) == ("Pending Approval", "Pending Approval", 0)
	assert doc.owner == doc.contact_email == portal_world.a.user
	assert (doc.customer, doc.company, doc.refund_reason, doc.return_goods) == (
		portal_world.a.customer,
		f.COMPANY,
		"Changed Mind",
		1,
	)
	# 2 x 100 + 1 x 50, plus 10 % tax
	assert [(d.item_code, d.qty, d.rate, d.amount) for d in doc.items] == [
		(portal_world.items[0], 2, 100, 200),
		(portal_world.items[1], 1, 50, 50),
	]
	assert (doc.items_total, doc.taxes_total, doc.refund_amount) == (250, 25, 275)
	assert doc.approval_level == 1 and doc.sla_status == "On Track" and doc.sla_due_by
	assert "<script>" not in doc.description and "&lt;script&gt;" in doc.description
	files = frappe.get_all(
		"File",
		filters={"attached_to_doctype": RR, "attached_to_name": doc.name},
		fields=["file_name", "is_private"],
	)
	assert [(x.file_name, x.is_private) for x in files] == [("lid.png", 1)]
	assert frappe.get_all(
		"Comment", filters={"reference_name": doc.name, "comment_type": "Workflow"}, pluck="content"
	) == ["Pending Approval"]

	# the same lines raised in the Desk by a Sales User (rolled back): the same request
	frappe.set_user(portal_world.staff_user)
	desk = f.refund_request_for(portal_world.a.order)
	desk.items = [d for d in desk.items if d.item_code in portal_world.items]
	for d in desk.items:
		d.qty = {portal_world.items[0]: 2, portal_world.items[1]: 1}[d.item_code]
	desk.insert()
	f.act(desk, "Submit for Approval")
	frappe.set_user("Administrator")
	for field in (
		"status",
		"approval_level",
		"delivery_note",
		"sales_invoice",
		"return_goods",
		"items_total",
		"taxes_total",
		"refund_amount",
	):
		assert desk.get(field) == doc.get(field), field
	assert [(d.sales_order_item, d.delivery_note_item, d.sales_invoice_item) for d in desk.items] == [
		(d.sales_order_item, d.delivery_note_item, d.sales_invoice_item) for d in doc.items
	]
	frappe.db.rollback()

	shown = alice.page(f"/refunds/{doc.name}").text
	assert 'data-status="Pending Approval"' in shown and 'data-kind="submitted"' in shown
	assert "$ 275.00" in shown and "lid.png" in shown
	assert "<script>alert" not in shown and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in shown


def test_bad_raise_input_is_refused_with_a_clear_message_and_nothing_written(served_site, portal_world):
	alice = login(served_site, portal_world.a.user)
	first_line = portal_world.a.lines[portal_world.items[0]]
	disabled = frappe.get_doc(
		{"doctype": "Refund Reason", "reason": f.unique("RM Old Reason"), "disabled": 1}
	).insert()
	frappe.db.commit()
	before = counts(sales_order=portal_world.a.order)
	cases = [
		({"items": json.dumps({first_line: 999})}, None, "can still be refunded, not 999"),
		({"items": json.dumps({first_line: "two"})}, None, "is not a number"),
		({"items": json.dumps({first_line: -1})}, None, "must be more than 0"),
		({"items": json.dumps({"not-a-line": 1})}, None, "is not a line of Sales Order"),
		({"items": json.dumps({})}, None, "Choose at least one line"),
		({"items": "[1, 2"}, None, "Choose the lines to refund"),
		({"refund_reason": "Price Adjustment"}, None, "Choose one of the listed reasons"),
		({"refund_reason": disabled.name}, None, "Choose one of the listed reasons"),
		({"refund_reason": "<img src=x onerror=alert(1)>"}, None, "&lt;img src=x"),
		({"refund_reason": "Damaged"}, None, "needs evidence"),
		({"comment": "x" * 5001}, None, "The comment is too long"),
		({}, [("attachments", ("page.html", b"<script>1</script>", "text/html"))], "you can attach JPG"),
		(
			{},
			[("attachments", (f"p{i}.png", image(), "image/png")) for i in range(6)],
			"Attach at most 5 files",
		),
		(
			{},
			[("attachments", ("photo.jpg", b"\xff\xd8\xff not really", "image/jpeg"))],
			"is not a readable image",
		),
	]
	for overrides, files, expected in cases:
		data = {
			"sales_order": portal_world.a.order,
			"items": json.dumps({first_line: 1}),
			"refund_reason": "Changed Mind",
			**overrides,
		}
		response = alice.call("refund_manager.portal.raise_refund", data, files=files)
		assert response.status_code == 417, (overrides, response.status_code, response.text[:300])
		assert expected in (messages(response) if "&lt;" not in expected else response.text), (
			overrides,
			messages(response),
		)
	assert alice.call("refund_manager.portal.raise_refund", http_method="GET").status_code in (403, 405)
	sync()
	assert counts(sales_order=portal_world.a.order) == before
	frappe.delete_doc("Refund Reason", disabled.name)
	frappe.db.commit()


def test_a_raised_request_under_an_auto_approval_rule_is_approved_and_paid_at_once(served_site, portal_world):
	alice = login(served_site, portal_world.a.user)
	doc = raised(raise_refund(alice, portal_world.a, quantities={1: 2}, reason=portal_world.auto_reason))
	assert (doc.status, doc.workflow_state, doc.docstatus) == ("Refunded", "Approved", 1)
	assert doc.approval_level == 0 and doc.matched_rule == portal_world.auto_rule
	assert doc.refund_amount == 110  # 2 x 50 + 10 % tax
	assert sorted(p.reference_doctype for p in doc.postings) == [
		"Delivery Note",
		"Payment Entry",
		"Sales Invoice",
	]
	paid = frappe.get_all(
		"Payment Entry",
		filters={"refund_request": doc.name, "docstatus": 1},
		fields=["payment_type", "paid_amount"],
	)
	assert [(p.payment_type, p.paid_amount) for p in paid] == [("Pay", 110)]

	# the customer is asked to rate it, with links to the rating form of its page
	asked = [m for m in queued_emails(doc) if m["subject"] == f"How was your refund {doc.name}?"]
	assert len(asked) == 1 and asked[0]["recipients"] == {portal_world.a.user}
	assert f"/refunds/{doc.name}?rating=5#feedback" in asked[0]["body"]
	page = alice.page(f"/refunds/{doc.name}", rating=5).text
	assert 'id="feedback-form"' in page and 'value="5" checked' in page


# ---------------------------------------------------------------- appeal and feedback


def test_a_rejected_request_is_appealed_with_new_information(served_site, portal_world):
	alice = login(served_site, portal_world.a.user)
	doc = raised(raise_refund(alice, portal_world.a))
	reject_as_admin(doc.name, "We need a photo of the damage")
	page = alice.page(f"/refunds/{doc.name}").text
	assert "We need a photo of the damage" in page and 'id="appeal-form"' in page

	refused = alice.call("refund_manager.portal.appeal_refund", {"name": doc.name, "comment": "  "})
	assert refused.status_code == 417 and "Tell us why you appeal" in messages(refused)
	sync()
	assert frappe.db.get_value(RR, doc.name, ["workflow_state", "appeal_count"]) == ("Rejected", 0)

	response = alice.call(
		"refund_manager.portal.appeal_refund",
		{"name": doc.name, "comment": "Photo attached: the corner is crushed."},
		files=[("attachments", ("corner.jpg", image("JPEG"), "image/jpeg"))],
	)
	assert response.status_code == 200, messages(response)
	sync()
	doc.reload()
	assert (doc.workflow_state, doc.appeal_count, doc.rejection_reason) == ("Pending Approval", 1, None)
	comments = frappe.get_all(
		"Comment",
		filters={"reference_name": doc.name, "comment_type": "Comment"},
		fields=["comment_email", "content"],
	)
	assert [(c.comment_email, c.content) for c in comments] == [
		(portal_world.a.user, "Photo attached: the corner is crushed.")
	]
	assert frappe.db.exists(
		"File", {"attached_to_name": doc.name, "file_name": "corner.jpg", "is_private": 1}
	)
	page = alice.page(f"/refunds/{doc.name}").text
	kinds = [part.split('"')[0] for part in page.split('data-kind="')[1:]]
	assert kinds == ["raised", "submitted", "rejected", "comment", "appealed"]
	assert 'id="appeal-form"' not in page

	again = alice.call("refund_manager.portal.appeal_refund", {"name": doc.name, "comment": "once more"})
	assert again.status_code == 417 and "only a rejected request can be appealed" in messages(again)


def test_a_refunded_request_is_rated_once_by_its_customer(served_site, portal_world):
	alice = login(served_site, portal_world.a.user)
	pending = raised(raise_refund(alice, portal_world.a))
	refunded = raised(raise_refund(alice, portal_world.a, reason=portal_world.auto_reason))
	rate = lambda name, rating, comment="": alice.call(  # noqa: E731
		"refund_manager.portal.rate_refund", {"name": name, "rating": rating, "comment": comment}
	)

	early = rate(pending.name, 5)
	assert early.status_code == 417 and "once the refund is paid" in messages(early)
	for bad in ("6", "0", "2.5", "five"):
		response = rate(refunded.name, bad)
		assert response.status_code == 417 and "Choose 1 to 5 stars" in messages(response), bad
	sync()
	assert frappe.db.get_value(RR, refunded.name, "feedback_on") is None

	assert rate(refunded.name, "4", "Quick, but <b>the form</b> was long").status_code == 200
	sync()
	stored = frappe.db.get_value(
		RR, refunded.name, ["feedback_rating", "feedback_comment", "feedback_on"], as_dict=True
	)
	assert stored.feedback_rating == 0.8 and stored.feedback_on  # 4 of 5 stars
	assert stored.feedback_comment == "Quick, but &lt;b&gt;the form&lt;/b&gt; was long"

	twice = rate(refunded.name, "1")
	assert twice.status_code == 417 and "already rated" in messages(twice)
	sync()
	assert frappe.db.get_value(RR, refunded.name, "feedback_rating") == 0.8
	page = alice.page(f"/refunds/{refunded.name}").text
	assert 'data-stars="4"' in page and 'id="feedback-form"' not in page
	assert "Quick, but &lt;b&gt;the form&lt;/b&gt; was long" in page


# ---------------------------------------------------------------- the hooks, in-process


def portal_customer(link) -> tuple[str, str]:
	customer, user = f.make_customer(), portal_user("Hook")
	{"portal": link_as_portal_user, "contact": link_through_contact}[link](customer, user)
	return customer, user


def paid_order_for(customer: str, item: str) -> str:
	so = f.make_sales_order(customer, [(item, 1, 10)])
	f.pay("Sales Invoice", f.bill(so.name).name)
	return so.name


def test_permission_hooks_restrict_portal_customers_and_leave_desk_roles_alone():
	item = f.make_item()
	mine_customer, me = portal_customer("portal")
	their_customer, them = portal_customer("contact")
	mine, theirs = [
		f.refund_request_for(paid_order_for(c, item)).insert() for c in (mine_customer, their_customer)
	]
	unlinked = portal_user("Nobody")
	sales_user = f.make_user("Sales User")
	both = f.make_user("Sales User", "Customer")
	link_as_portal_user(their_customer, both)

	assert permissions.customers_of(me) == [mine_customer] and permissions.customers_of(them) == [
		their_customer
	]
	assert permissions.users_of(their_customer) == sorted([them, both])

	def visible(user) -> set[str]:
		frappe.set_user(user)
		try:
			return set(frappe.get_list(RR, filters={"name": ("in", [mine.name, theirs.name])}, pluck="name"))
		finally:
			frappe.set_user("Administrator")

	def may(user, ptype, doc) -> bool:
		return frappe.has_permission(RR, ptype, doc, user=user)

	assert visible(me) == {mine.name} and visible(them) == {theirs.name} and visible(unlinked) == set()
	assert visible(sales_user) == visible(both) == visible("Administrator") == {mine.name, theirs.name}
	assert may(me, "read", mine) and may(me, "print", mine)
	assert not may(me, "read", theirs) and not may(me, "print", theirs) and not may(unlinked, "read", mine)
	assert not any(may(me, ptype, mine) for ptype in ("write", "create", "submit", "cancel", "delete"))
	assert may(both, "write", mine) and may(sales_user, "read", theirs)  # desk roles as before
	assert frappe.has_website_permission(mine, user=me) and not frappe.has_website_permission(theirs, user=me)
	assert permissions.get_permission_query_conditions(sales_user) == ""
	assert permissions.get_permission_query_conditions(unlinked) == "1=0"


def test_the_customer_role_is_added_to_an_older_workflow_on_migrate(workflow_restored):
	from refund_manager import approval

	doc = frappe.get_doc("Workflow", approval.WORKFLOW)
	assert {(t.action, t.next_state) for t in doc.transitions if t.allowed == "Customer"} == {
		("Submit for Approval", "Pending Approval"),
		("Submit for Approval", "Approved"),
		("Appeal", "Pending Approval"),
	}
	assert not any(s.allow_edit == "Customer" for s in doc.states)  # customers act, never edit
	# the workflow as the previous release wrote it, untouched since: migrate adds the role
	doc.transitions = [t for t in doc.transitions if t.allowed != "Customer"]
	doc.save()
	frappe.db.set_default(install.WORKFLOW_FINGERPRINT_KEY, install.workflow_fingerprint(doc.as_dict()))
	install.after_migrate()
	doc.reload()
	assert sum(t.allowed == "Customer" for t in doc.transitions) == 3


@pytest.fixture
def workflow_restored():
	yield
	frappe.db.rollback()
	frappe.clear_cache()


def test_my_refunds_is_in_the_portal_menu_and_leaves_with_the_app():
	def menu() -> list[tuple]:
		return [
			(d.title, d.route, d.role, d.reference_doctype)
			for d in frappe.get_single("Portal Settings").menu
			if d.route == "/refunds"
		]

	frappe.get_single("Portal Settings").sync_menu()  # as install and migrate do
	assert menu() == [("My Refunds", "/refunds", "Customer", RR)]
	install.remove_portal_menu()  # a step of before_uninstall
	assert menu() == []
