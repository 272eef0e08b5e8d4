"""The refund breakdown: `preview_refund` (writes nothing) and the Refund Statement print format
attached to the approval and refund notifications."""

import frappe
import pytest
from frappe.utils import flt

from refund_manager.api import RefundSourceError, preview_refund
from refund_manager.refund_manager.doctype.refund_request.refund_request import OverRefundError
from tests.integration import factories as f
from tests.integration.test_refund_policy import FEES, make_policy, set_restocking_account, sold

pytestmark = pytest.mark.usefixtures("company")

WRITTEN = ("Refund Request", "Refund Request Item", "Refund Deduction", "Comment", "Version", "Email Queue")


def row_counts() -> dict[str, int]:
	return {doctype: frappe.db.count(doctype) for doctype in WRITTEN}


def test_preview_of_an_order_and_lines_saves_nothing():
	set_restocking_account()
	policy = make_policy(restocking_fee_percent=10, review_amount_above=100)
	o = sold(qty=5, rate=100.0)
	line = frappe.get_all("Sales Order Item", filters={"parent": o.so.name}, pluck="name")[0]
	before = row_counts()

	shown = preview_refund(sales_order=o.so.name, items=[{"sales_order_item": line, "qty": 2}], refund_reason="Wrong Item")

	assert row_counts() == before
	assert shown["name"] is None and shown["refund_policy"] == policy.name
	[only] = shown["lines"]
	assert (only["qty"], only["rate"], only["amount"], only["tax_amount"]) == (2.0, 100.0, 200.0, 20.0)
	assert (shown["items_total"], shown["taxes_total"], shown["shipping_amount"]) == (200.0, 20.0, 0.0)
	[fee] = shown["deductions"]
	assert (fee["deduction_type"], fee["amount"]) == ("Restocking Fee", 20.0)
	assert "10% of" in fee["description"]
	assert shown["refund_amount"] == 200.0 == shown["items_total"] + shown["taxes_total"] - shown["deductions_total"]
	assert shown["policy_violations"] == []
	assert len(shown["risk_flags"]) == 1 and "Amount limit" in shown["risk_flags"][0]


def test_preview_of_a_draft_with_changes_leaves_the_draft_as_saved():
	o = sold(qty=5, rate=100.0)
	doc = f.refund_request_for(o.so.name, reason="Wrong Item")
	doc.items[0].qty = 1
	doc.insert()
	before = row_counts()

	shown = preview_refund(refund_request=doc.name, items=[{"sales_order_item": doc.items[0].sales_order_item, "qty": "3"}])

	assert row_counts() == before
	assert shown["name"] == doc.name and shown["refund_amount"] == 330.0
	saved = frappe.get_doc("Refund Request", doc.name)
	assert (saved.items[0].qty, saved.refund_amount) == (1.0, 110.0)
	# the saved draft as it is
	assert preview_refund(refund_request=doc.name)["refund_amount"] == 110.0


@pytest.mark.parametrize(
	"kwargs, error, message",
	[
		({}, RefundSourceError, "Give a Refund Request or a Sales Order"),
		({"sales_order": "SO-NOPE-<b>x</b>"}, RefundSourceError, "does not exist"),
		({"refund_request": "RFR-NOPE"}, RefundSourceError, "does not exist"),
		({"items": [{"sales_order_item": "nope", "qty": 1}]}, RefundSourceError, "not a refundable line"),
		({"items": [{"qty": 1}]}, RefundSourceError, "not a refundable line"),
		({"items": "not json"}, RefundSourceError, "Items must be a list"),
		({"items": [{"line": 1}, 5]}, RefundSourceError, "Items must be a list"),
		({"items": [{"sales_order_item": "LINE", "qty": "many"}]}, RefundSourceError, "must be a number"),
		({"items": [{"sales_order_item": "LINE", "qty": "nan"}]}, RefundSourceError, "must be a number"),
		({"items": [{"sales_order_item": "LINE", "qty": 9}]}, OverRefundError, "at most <strong>5</strong>"),
		({"refund_reason": "No Such Reason"}, RefundSourceError, "does not exist"),
		({"refund_type": "Gift"}, RefundSourceError, "Return or Price Adjustment"),
	],
)
def test_preview_answers_bad_input_with_a_clear_message_and_writes_nothing(kwargs, error, message):
	o = sold(qty=5)
	line = frappe.get_all("Sales Order Item", filters={"parent": o.so.name}, pluck="name")[0]
	if "refund_request" not in kwargs and kwargs:
		kwargs = {"sales_order": o.so.name, **kwargs}
	if isinstance(kwargs.get("items"), list):
		kwargs["items"] = [
			{**r, "sales_order_item": line} if isinstance(r, dict) and r.get("sales_order_item") == "LINE" else r
			for r in kwargs["items"]
		]
	before = row_counts()
	with pytest.raises(error, match=message) as raised:
		preview_refund(**kwargs)
	assert "<b>x</b>" not in str(raised.value)  # user input is escaped
	assert row_counts() == before


def test_preview_needs_read_access_to_the_order():
	o = sold()
	outsider = f.make_user("Accounts User")  # no access to Sales Orders
	frappe.set_user(outsider)
	try:
		with pytest.raises(frappe.PermissionError):
			preview_refund(sales_order=o.so.name)
	finally:
		frappe.set_user("Administrator")


# ---------------------------------------------------------------- Refund Statement


def test_refund_statement_shows_the_breakdown_and_goes_with_the_refunded_notification():
	set_restocking_account()
	make_policy(restocking_fee_percent=10)
	o = sold(qty=5, rate=100.0)
	doc = f.refund_request_for(o.so.name, reason="Wrong Item")
	doc.items[0].qty = 2
	doc.contact_email = "statement-customer@example.com"
	doc.insert()
	f.approve(doc)
	assert doc.status == "Refunded"

	html = frappe.get_print("Refund Request", doc.name, "Refund Statement", doc=doc)
	for text in ("Refund Statement", doc.name, o.so.name, doc.items[0].item_code, "Restocking fee 10%", "Net refund"):
		assert text in html
	assert doc.get_formatted("refund_amount") in html  # 200: 200 + 20 tax - 20 fee
	assert flt(doc.refund_amount) == 200.0
	for p in doc.postings:
		assert p.reference_name in html

	queued = frappe.get_all(
		"Email Queue",
		filters={"reference_doctype": "Refund Request", "reference_name": doc.name},
		fields=["attachments", "message"],
	)
	refunded = [q for q in queued if "refunded" in q.message]
	assert refunded, "the Refunded notification is queued"
	attachments = frappe.parse_json(refunded[0].attachments)
	assert {"print_format_attachment": 1, "print_format": "Refund Statement"}.items() <= attachments[0].items()
