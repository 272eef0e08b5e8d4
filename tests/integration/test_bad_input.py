"""Bad input through the real HTTP stack: every whitelisted method of the app, the REST API of
Refund Request and the workflow actions on it, fuzzed with hypothesis.

Inputs: wrong types, negative and huge quantities, orders of another customer, cancelled and draft
documents, return documents, SQL and HTML in text fields. Every answer must be a clear error
(HTTP 4xx with a message) - never a 5xx - and nothing may be written (rows of every table a refund
touches are counted before and after each call). Text the caller sent must never come back
unescaped in a message the Desk shows.

The callers are real users with passwords, logged in over HTTP: a Sales User limited by a User
Permission to one customer, and a Refund Approver. Frappe answers errors with the traceback of the
exception attached while System Settings > Allow Error Traceback is on (the default): that is
Frappe's debugging aid for every error, deliberate ones included; what counts here is the status
and the message.
"""

import frappe
import frappe.permissions
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.integration import factories as f
from tests.integration.http_client import HttpClient
from tests.integration.portal_world import PASSWORD as PORTAL_PASSWORD
from tests.integration.portal_world import link_as_portal_user, portal_user

pytestmark = pytest.mark.usefixtures("company")

PASSWORD = "Refund-Fuzz-2026!"
EXAMPLES = settings(
	max_examples=50,
	deadline=None,
	database=None,  # no .hypothesis folder in the bench's sites directory
	suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
MARKUP = ['<img src=x onerror="alert(1)">', "<script>alert('rm')</script>", '"><svg onload=alert(1)>']
SQL = [
	"' OR '1'='1",
	"x'; DROP TABLE `tabRefund Request`; -- ",
	"1 UNION SELECT name, password FROM `__Auth`",
	"%' AND SLEEP(5) AND '%'='",
]
# every table a refund, its approval or its postings write to
WRITTEN_TABLES = (
	"Refund Request",
	"Refund Request Item",
	"Refund Deduction",
	"Refund Posting",
	"Delivery Note",
	"Sales Invoice",
	"Payment Entry",
	"Journal Entry",
	"GL Entry",
	"Stock Ledger Entry",
	"Workflow Action",
	"Version",
	"Comment",
	"File",
)

junk_text = st.one_of(st.sampled_from(MARKUP + SQL), st.text(max_size=40))
wrong_type = st.one_of(
	st.none(),
	st.booleans(),
	st.integers(min_value=-(10**18), max_value=10**18),
	st.floats(allow_nan=False, allow_infinity=False),
	st.sampled_from(["NaN", "Infinity", "-1e309", "1e400", "0x10", ""]),
	st.lists(st.text(max_size=4), max_size=3),
	st.dictionaries(st.text(max_size=4), st.integers(), max_size=2),
)
anything = st.one_of(junk_text, wrong_type)


# ---------------------------------------------------------------- the world the callers live in


@pytest.fixture(scope="module")
def world(company):
	"""Two customers' orders and requests in every state, two users; committed (the application
	reads through its own connection). Names are unique: nothing clashes with other tests."""
	ours, theirs = f.make_customer(), f.make_customer()
	item = f.make_item()

	def paid(customer):
		so = f.make_sales_order(customer, [(item, 5, 100.0)])
		dn = f.deliver(so.name)
		si = f.bill(so.name)
		f.pay("Sales Invoice", si.name)
		return so, dn, si

	so_a, dn_a, _si_a = paid(ours)
	so_b, dn_b, si_b = paid(theirs)
	cancelled = f.make_sales_order(ours, [(item, 2, 100.0)])
	cancelled.cancel()
	draft = f.make_sales_order(ours, [(item, 2, 100.0)], submit=False)
	returned = f.return_delivery(dn_a.name, {item: 1})

	def request(so, *actions):
		doc = f.refund_request_for(so.name, reason="Wrong Item")
		doc.items[0].qty = 1
		doc.insert()
		for action in actions:
			doc = f.act(doc, action)
		return doc.name

	requests = {
		"theirs_pending": request(so_b, "Submit for Approval"),
		"ours_draft": request(so_a),
		"ours_pending": request(so_a, "Submit for Approval"),
		"ours_approved": request(so_a, "Submit for Approval", "Approve"),
		"ours_cancelled": request(so_a, "Submit for Approval", "Approve", "Cancel"),
	}
	sales_user = user_with_password("Sales User")
	frappe.permissions.add_user_permission("Customer", ours, sales_user, ignore_permissions=True)
	approver = user_with_password("Refund Approver")
	# portal customers (issue 5): Alice acts for our customer, Bob for theirs
	alice, bob = portal_user("Alice"), portal_user("Bob")
	link_as_portal_user(ours, alice)
	link_as_portal_user(theirs, bob)
	frappe.db.commit()

	site, sites_path = frappe.local.site, frappe.local.sites_path
	world = frappe._dict(
		ours=ours,
		theirs=theirs,
		item=item,
		so_a=so_a.name,
		line_a=so_a.items[0].name,
		so_b=so_b.name,
		line_b=so_b.items[0].name,
		dn_b=dn_b.name,
		si_b=si_b.name,
		cancelled=cancelled.name,
		draft=draft.name,
		returned=returned.name,
		requests=requests,
		sales=HttpClient(site, sites_path).login(sales_user, PASSWORD),
		approver=HttpClient(site, sites_path).login(approver, PASSWORD),
		alice=HttpClient(site, sites_path).login(alice, PORTAL_PASSWORD),
	)
	yield world
	for client in (world.sales, world.approver, world.alice):
		client.close()


def user_with_password(role: str) -> str:
	from frappe.utils.password import update_password

	user = f.make_user(role)
	update_password(user, PASSWORD)
	return user


# ---------------------------------------------------------------- what every answer must be


def written_state(world) -> dict:
	"""Row counts of every table a refund writes, and the requests' rows, as committed now."""
	frappe.db.rollback()  # a fresh snapshot: what the application committed
	counts = {table: frappe.db.count(table) for table in WRITTEN_TABLES}
	requests = frappe.get_all(
		"Refund Request",
		filters={"name": ("in", list(world.requests.values()))},
		fields=["name", "modified", "docstatus", "workflow_state", "rejection_reason"],
		order_by="name",
	)
	return {"counts": counts, "requests": requests}


def assert_refused_cleanly(
	answer, sent, before, world, allowed=(400, 401, 403, 404, 409, 417), frappe_endpoint=False
):
	assert answer.status < 500, f"{answer.status} for {sent}: {answer.text[:2000]}"
	assert answer.status in allowed, f"{answer.status} for {sent}: {answer.text[:1000]}"
	if 400 <= answer.status != 403:  # Frappe's 403 page for a permission error is its own
		assert answer.messages or answer.body.get("exception"), f"no message for {sent}: {answer.text[:500]}"
	assert_no_markup_echoed(answer, sent, frappe_endpoint)
	# Frappe's own refusals explain the User Permission, naming its value; a name the sender typed
	# itself may come back (it tells them nothing), any other customer's must not
	if not frappe_endpoint and world.theirs not in str(sent):
		assert world.theirs not in answer.text, f"another customer named for {sent}: {answer.text[:500]}"
	assert written_state(world) == before, f"something was written for {sent}"


def assert_no_markup_echoed(answer, sent, frappe_endpoint=False):
	messages = answer.messages
	if frappe_endpoint and answer.status == 404 and answer.error_type == "DoesNotExistError":
		# Frappe's own endpoints (apply_workflow) load the named document before any code of ours
		# runs; Frappe's "<doctype> <name> not found" shows the caller's own text as typed. Known,
		# reported, not ours to change; everything else must be escaped.
		messages = [m for m in messages if not m.endswith(" not found")]
	shown = "\n".join(messages)
	for text in strings_in(sent):
		if "<" in text or ">" in text:
			assert text not in shown, f"unescaped input in a message: {text!r} in {shown[:500]}"


def strings_in(value):
	if isinstance(value, str):
		yield value
	elif isinstance(value, dict):
		for k, v in value.items():
			yield from strings_in(k)
			yield from strings_in(v)
	elif isinstance(value, list | tuple):
		for v in value:
			yield from strings_in(v)


def method(name: str) -> str:
	return f"/api/method/{name}"


# ---------------------------------------------------------------- the app's whitelisted methods


@EXAMPLES
@given(data=st.data())
def test_make_refund_request_refuses_every_bad_source(world, data):
	source = data.draw(
		st.one_of(
			st.sampled_from(
				[world.so_b, world.dn_b, world.si_b, world.cancelled, world.draft, world.returned, world.item]
			),
			anything,
		),
		label="source_name",
	)
	doctype = data.draw(
		st.one_of(st.sampled_from(["Sales Order", "Delivery Note", "Sales Invoice"]), anything)
	)
	target = data.draw(st.one_of(st.none(), anything), label="target_doc")
	sent = {"source_name": source, "source_doctype": doctype, "target_doc": target}
	before = written_state(world)
	answer = world.sales.post(method("refund_manager.api.make_refund_request"), sent)
	assert_refused_cleanly(answer, sent, before, world)


@EXAMPLES
@given(data=st.data())
def test_refundable_quantities_answer_only_for_open_orders_the_user_may_read(world, data):
	order = data.draw(
		st.one_of(st.sampled_from([world.so_b, world.cancelled, world.draft, world.dn_b]), anything)
	)
	sent = {
		"sales_order": order,
		"return_goods": data.draw(st.one_of(st.sampled_from([0, 1, "1"]), anything)),
		"refund_request": data.draw(
			st.one_of(st.none(), st.sampled_from(list(world.requests.values())), anything)
		),
	}
	before = written_state(world)
	answer = world.sales.post(method("refund_manager.api.get_refundable_quantities"), sent)
	assert_refused_cleanly(answer, sent, before, world)
	assert world.line_b not in answer.text and world.theirs not in answer.text  # nothing of theirs leaks


@EXAMPLES
@given(data=st.data())
def test_set_rejection_reason_is_refused_unless_an_approver_may_reject(world, data):
	caller = data.draw(st.sampled_from(["sales", "approver"]))
	if caller == "sales":  # no approver role: refused whatever the request
		name = data.draw(st.one_of(st.sampled_from(list(world.requests.values())), anything))
		reason = data.draw(anything)
	else:  # an approver, on requests that are not pending, or on pending ones without a reason
		pending = [world.requests["theirs_pending"], world.requests["ours_pending"]]
		others = [n for n in world.requests.values() if n not in pending]
		name, reason = data.draw(
			st.one_of(
				st.tuples(st.one_of(st.sampled_from(others), anything), anything),
				st.tuples(st.sampled_from(pending), st.sampled_from(["", "   ", "\n\t"])),
			)
		)
	sent = {"name": name, "reason": reason}
	before = written_state(world)
	answer = world[caller].post(method("refund_manager.approval.set_rejection_reason"), sent)
	assert_refused_cleanly(answer, sent, before, world)


# ---------------------------------------------------------------- Refund Request through the REST API


bad_qty = st.one_of(
	st.integers(max_value=0),
	st.floats(max_value=-0.001, allow_nan=False, allow_infinity=False),
	st.integers(min_value=6, max_value=10**15),
	st.floats(min_value=5.001, max_value=1e300),
	st.sampled_from(["abc", "NaN", "1e400", "", None, [1], {"qty": 1}]),
)


@EXAMPLES
@given(data=st.data())
def test_creating_a_refund_request_with_bad_values_is_refused_and_writes_nothing(world, data):
	order = data.draw(
		st.one_of(st.sampled_from([world.so_a, world.so_b, world.cancelled, world.draft]), anything)
	)
	line = data.draw(st.one_of(st.sampled_from([world.line_a, world.line_b]), anything))
	item = {"sales_order_item": line, "qty": data.draw(bad_qty, label="qty")}
	if data.draw(st.booleans()):
		item["rate"] = data.draw(st.one_of(st.floats(allow_nan=False, allow_infinity=False), anything))
	doc = {
		"sales_order": order,
		"refund_reason": data.draw(st.one_of(st.just("Wrong Item"), junk_text)),
		"description": data.draw(junk_text),
		"items": [item],
	}
	if data.draw(st.booleans()):
		doc["customer"] = data.draw(st.one_of(st.sampled_from([world.ours, world.theirs]), junk_text))
	if data.draw(st.booleans()):
		doc["deductions"] = [
			{
				"description": data.draw(junk_text),
				"account": data.draw(st.one_of(st.just(f"Miscellaneous Expenses - {f.ABBR}"), junk_text)),
				"amount": data.draw(
					st.one_of(st.floats(max_value=-0.01, allow_nan=False), st.just(10**15), anything)
				),
			}
		]
	before = written_state(world)
	answer = world.sales.post("/api/resource/Refund Request", doc)
	assert_refused_cleanly(answer, doc, before, world)


def test_a_user_limited_to_one_customer_cannot_refund_another_customers_order(world):
	"""A well-formed request, but on an order of a customer the user may not see."""
	doc = {
		"sales_order": world.so_b,
		"refund_reason": "Wrong Item",
		"items": [{"sales_order_item": world.line_b, "qty": 1}],
	}
	before = written_state(world)
	for path, payload in (
		("/api/resource/Refund Request", doc),
		(method("frappe.client.insert"), {"doc": {"doctype": "Refund Request", **doc}}),
		(method("refund_manager.api.make_refund_request"), {"source_name": world.so_b}),
	):
		answer = world.sales.post(path, payload)
		assert answer.status == 403, (path, answer.status, answer.text[:1000])
		assert world.theirs not in answer.text  # not even whose order it is
		assert written_state(world) == before


@EXAMPLES
@given(data=st.data())
def test_workflow_actions_out_of_turn_are_refused_and_write_nothing(world, data):
	"""Approve, reject, cancel, appeal: on another customer's request, out of state, or made up."""
	name = data.draw(
		st.one_of(
			st.sampled_from(
				[
					world.requests["theirs_pending"],
					world.requests["ours_approved"],
					world.requests["ours_cancelled"],
				]
			),
			junk_text,
		)
	)
	action = data.draw(
		st.one_of(
			st.sampled_from(["Approve", "Reject", "Cancel", "Appeal", "Submit for Approval"]), junk_text
		)
	)
	sent = {"doc": {"doctype": "Refund Request", "name": name}, "action": action}
	before = written_state(world)
	answer = world.sales.post(method("frappe.model.workflow.apply_workflow"), sent)
	assert_refused_cleanly(answer, sent, before, world, frappe_endpoint=True)


# ---------------------------------------------------------------- preview and the dashboard card


@EXAMPLES
@given(data=st.data())
def test_preview_refund_shows_nothing_of_another_customer_and_writes_nothing(world, data):
	"""A preview of one's own order may answer (it writes nothing); anything else is refused."""
	caller = data.draw(st.sampled_from(["sales", "alice"]))
	sent = {
		"refund_request": data.draw(
			st.one_of(st.none(), st.sampled_from([world.requests["theirs_pending"]]), anything),
			label="refund_request",
		),
		"sales_order": data.draw(
			st.one_of(
				st.none(), st.sampled_from([world.so_b, world.cancelled, world.draft, world.so_a]), anything
			),
			label="sales_order",
		),
		"items": data.draw(
			st.one_of(
				st.none(),
				st.lists(
					st.fixed_dictionaries(
						{
							"sales_order_item": st.one_of(
								st.sampled_from([world.line_a, world.line_b]), junk_text
							),
							"qty": bad_qty,
						}
					),
					max_size=2,
				),
				anything,
			)
		),
		"refund_reason": data.draw(st.one_of(st.none(), junk_text)),
		"return_goods": data.draw(st.one_of(st.none(), anything)),
		"refund_type": data.draw(st.one_of(st.none(), st.just("Price Adjustment"), junk_text)),
	}
	before = written_state(world)
	answer = world[caller].post(method("refund_manager.api.preview_refund"), sent)
	own_order_only = sent["refund_request"] in (None, "") and sent["sales_order"] == world.so_a
	allowed = (200, 400, 403, 404, 417) if own_order_only else (400, 403, 404, 417)
	assert_refused_cleanly(answer, sent, before, world, allowed=allowed)
	assert world.line_b not in answer.text and world.theirs not in answer.text


@EXAMPLES
@given(
	filters=st.one_of(
		anything, st.dictionaries(junk_text, anything, max_size=3), st.lists(anything, max_size=4)
	)
)
def test_the_average_hours_card_takes_any_filters_without_an_error_or_a_write(world, filters):
	before = written_state(world)
	answer = world.sales.post(
		method("refund_manager.dashboard.average_hours_to_approve"), {"filters": filters}
	)
	assert_refused_cleanly(answer, {"filters": filters}, before, world, allowed=(200, 400, 403, 417))


# ---------------------------------------------------------------- the customer portal (issue 5)


@EXAMPLES
@given(data=st.data())
def test_portal_raise_refuses_other_orders_and_bad_lines_and_writes_nothing(world, data):
	"""Alice raises refunds for her customer only, from open orders, with real lines and quantities."""
	case = data.draw(
		st.sampled_from(["another customer's order", "closed or made-up order", "bad lines", "bad reason"])
	)
	order, items, reason = world.so_a, {world.line_a: 1}, "Wrong Item"
	if case == "another customer's order":
		order = world.so_b
		items = data.draw(st.one_of(st.just({world.line_b: 1}), anything))
	elif case == "closed or made-up order":
		order = data.draw(st.one_of(st.sampled_from([world.cancelled, world.draft, world.dn_b]), anything))
	elif case == "bad lines":
		items = data.draw(
			st.one_of(
				st.dictionaries(
					st.one_of(st.sampled_from([world.line_a, world.line_b]), junk_text), bad_qty, max_size=3
				),
				anything,
			)
		)
	else:
		reason = data.draw(st.one_of(junk_text, wrong_type).filter(lambda r: r != "Wrong Item"))
	sent = {
		"sales_order": order,
		"items": items,
		"refund_reason": reason,
		"comment": data.draw(st.one_of(st.none(), anything)),
	}
	before = written_state(world)
	answer = world.alice.post(method("refund_manager.portal.raise_refund"), sent)
	assert_refused_cleanly(answer, sent, before, world)
	assert world.theirs not in answer.text


@EXAMPLES
@given(data=st.data())
def test_portal_appeal_and_rating_out_of_turn_are_refused_and_write_nothing(world, data):
	"""Appeal only one's own rejected request, rate only one's own refunded one, 1-5 stars, once."""
	what = data.draw(st.sampled_from(["appeal", "rate"]))
	own_refunded = world.requests["ours_approved"]
	names = [world.requests["theirs_pending"], world.requests["ours_pending"], world.requests["ours_draft"]]
	if what == "appeal":
		names.append(own_refunded)  # not rejected
		sent = {
			"name": data.draw(st.one_of(st.sampled_from(names), anything)),
			"comment": data.draw(anything),
		}
	else:
		name, rating = data.draw(
			st.one_of(
				st.tuples(st.one_of(st.sampled_from(names), anything), anything),
				st.tuples(
					st.just(own_refunded),
					st.one_of(
						st.integers(max_value=0),
						st.integers(min_value=6),
						st.sampled_from(["abc", "3.5", "", "NaN", [3], {"stars": 3}]),
					),
				),
			)
		)
		sent = {"name": name, "rating": rating, "comment": data.draw(st.one_of(st.none(), junk_text))}
	before = written_state(world)
	answer = world.alice.post(method(f"refund_manager.portal.{what}_refund"), sent)
	assert_refused_cleanly(answer, sent, before, world)
	assert world.theirs not in answer.text
