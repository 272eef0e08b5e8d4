"""Refund Request raised from real Sales Orders: mapping, limits and every validation of issue 2."""

import frappe
import pytest
from frappe.utils import flt

from refund_manager.refund_manager.doctype.refund_request.refund_request import (
	InvalidRefundSourceError,
	OverRefundError,
	RefundAmountError,
)
from tests.integration import factories as f

pytestmark = pytest.mark.usefixtures("company")


def count_requests(sales_order: str) -> int:
	return frappe.db.count("Refund Request", {"sales_order": sales_order})


def order(lines=((10, 100.0),), taxes=True, submit=True):
	"""A fresh customer and items, and a Sales Order for them: lines are (qty, rate)."""
	customer = f.make_customer()
	items = [f.make_item() for _ in lines]
	so = f.make_sales_order(customer, [(item, qty, rate) for item, (qty, rate) in zip(items, lines)], taxes, submit)
	return so, items


def row_for(doc, item_code):
	return next(d for d in doc.items if d.item_code == item_code)


# ---------------------------------------------------------------- one click from the order


def test_sales_user_creates_refund_request_from_delivered_billed_paid_order():
	so, (item_a, item_b) = order([(5, 100.0), (2, 30.0)])
	f.deliver(so.name)
	si = f.bill(so.name)
	f.pay("Sales Invoice", si.name)
	user = f.make_user("Sales User")

	frappe.set_user(user)
	doc = f.refund_request_for(so.name)
	assert [d.max_refundable_qty for d in doc.items] == [5, 2]
	assert [d.qty for d in doc.items] == [5, 2]
	assert doc.return_goods == 1
	row_for(doc, item_a).qty = 2
	doc.insert()

	assert doc.owner == user
	assert doc.name.startswith(f"RFR-{frappe.utils.getdate().year}-")
	assert doc.status == "Draft" and doc.docstatus == 0
	assert (doc.customer, doc.company, doc.currency) == (so.customer, so.company, "USD")
	assert doc.sales_invoice == si.name
	assert doc.delivery_note == frappe.db.get_value("Delivery Note Item", {"so_detail": so.items[0].name}, "parent")
	assert all(d.delivery_note_item and d.sales_invoice_item for d in doc.items)
	# 2 x 100 + 2 x 30, taxes 10 % of it, no deductions
	assert doc.items_total == 260
	assert doc.taxes_total == 26
	assert doc.refund_amount == 286
	assert doc.base_refund_amount == 286
	assert row_for(doc, item_b).tax_amount == 6


def test_mapped_from_delivery_note_and_sales_invoice():
	so, (item,) = order([(4, 50.0)])
	dn = f.deliver(so.name, {so.items[0].item_code: 3})
	si = f.bill(so.name)

	from_dn = f.refund_request_for(dn.name, "Delivery Note")
	assert from_dn.sales_order == so.name and from_dn.delivery_note == dn.name
	assert from_dn.return_goods == 1
	assert from_dn.items[0].delivery_note_item == dn.items[0].name
	assert from_dn.items[0].max_refundable_qty == 3  # delivered, not ordered

	from_si = f.refund_request_for(si.name, "Sales Invoice")
	assert from_si.sales_order == so.name and from_si.sales_invoice == si.name
	assert from_si.items[0].sales_invoice_item == si.items[0].name
	from_si.insert()
	assert from_si.refund_amount == flt(3 * 50 * 1.1, 2)


def test_mapping_refuses_bad_sources():
	so, _ = order(submit=False)
	with pytest.raises(frappe.ValidationError):
		f.refund_request_for(so.name)  # a draft order cannot be mapped
	with pytest.raises(frappe.ValidationError, match="can be made from"):
		f.refund_request_for(so.name, "Purchase Order")
	with pytest.raises(frappe.ValidationError, match="does not exist"):
		f.refund_request_for("SO-DOES-NOT-EXIST")
	with pytest.raises(frappe.ValidationError) as e:
		f.refund_request_for("<script>alert(1)</script>")
	assert "<script>" not in str(e.value) and "&lt;script&gt;" in str(e.value)  # echoed escaped

	from refund_manager.api import get_refundable_quantities

	with pytest.raises(frappe.ValidationError, match="does not exist"):
		get_refundable_quantities("SO-DOES-NOT-EXIST")


# ---------------------------------------------------------------- the order itself


def test_order_must_be_submitted_and_open():
	so, _ = order()
	f.pay("Sales Order", so.name)
	doc = f.refund_request_for(so.name)

	so.reload()
	so.update_status("Closed")
	with pytest.raises(InvalidRefundSourceError, match="not cancelled or closed"):
		doc.insert()
	assert count_requests(so.name) == 0

	so.update_status("Draft")  # re-open: the same draft is now accepted
	doc.insert()
	assert doc.name


def test_draft_order_is_refused():
	so, _ = order(submit=False)
	doc = frappe.get_doc(
		{
			"doctype": "Refund Request",
			"sales_order": so.name,
			"customer": so.customer,
			"company": so.company,
			"refund_reason": "Changed Mind",
			"items": [{"sales_order_item": so.items[0].name, "item_code": so.items[0].item_code, "qty": 1}],
		}
	)
	with pytest.raises(InvalidRefundSourceError, match="must be submitted"):
		doc.insert()


def test_request_without_sales_order_says_so():
	doc = frappe.get_doc({"doctype": "Refund Request", "refund_reason": "Changed Mind", "items": []})
	with pytest.raises(InvalidRefundSourceError, match="Select the Sales Order"):
		doc.insert()


@pytest.mark.parametrize("fieldname", ["customer", "company", "currency"])
def test_customer_company_currency_must_match_order(fieldname):
	so, _ = order()
	f.pay("Sales Order", so.name)
	doc = f.refund_request_for(so.name)
	other = {
		"customer": f.make_customer(),
		"company": frappe.db.get_value("Company", {"name": ("!=", so.company)}),
		"currency": "EUR",
	}[fieldname]
	doc.set(fieldname, other)
	with pytest.raises(InvalidRefundSourceError, match="does not match Sales Order"):
		doc.insert()
	assert count_requests(so.name) == 0


@pytest.mark.parametrize("doctype", ["Delivery Note", "Sales Invoice"])
def test_source_documents_and_lines_must_be_this_orders(doctype):
	"""The Delivery Note / Sales Invoice on the request and on each row: submitted, not a return,
	of this order and its customer; the header is checked whether or not a row's line is on it."""
	fieldname, row_field = {
		"Delivery Note": ("delivery_note", "delivery_note_item"),
		"Sales Invoice": ("sales_invoice", "sales_invoice_item"),
	}[doctype]
	make = {"Delivery Note": f.deliver, "Sales Invoice": f.bill}[doctype]
	so, _ = order()
	f.pay("Sales Order", so.name)
	own = make(so.name)
	other_so, _ = order()
	foreign = make(other_so.name)

	doc = f.refund_request_for(so.name)
	assert doc.get(fieldname) == own.name and doc.items[0].get(row_field) == own.items[0].name
	doc.set(fieldname, foreign.name)  # another customer's document, the rows still on our own
	with pytest.raises(InvalidRefundSourceError, match=f"is not a submitted {doctype} of Sales Order"):
		doc.insert()

	doc = f.refund_request_for(so.name)
	doc.items[0].set(row_field, foreign.items[0].name)  # a line of another order
	with pytest.raises(InvalidRefundSourceError, match="is not a submitted line of Sales Order"):
		doc.insert()

	doc = f.refund_request_for(so.name)
	doc.set(fieldname, None)
	doc.items[0].set(row_field, None)  # unlinked: nothing to check, the header stays empty
	doc.insert()
	assert doc.get(fieldname) is None
	doc.items[0].set(row_field, own.items[0].name)
	doc.save()  # the header follows the row's line
	assert doc.get(fieldname) == own.name
	assert count_requests(so.name) == 1


# ---------------------------------------------------------------- rows


def test_rows_must_be_lines_of_the_order_once_and_positive():
	so, _ = order([(5, 10.0), (5, 20.0)])
	other_so, _ = order()
	f.pay("Sales Order", so.name)

	doc = f.refund_request_for(so.name)
	doc.items[1].sales_order_item = other_so.items[0].name
	with pytest.raises(OverRefundError, match=r"Row #2: this line is not a line of Sales Order"):
		doc.insert()

	doc = f.refund_request_for(so.name)
	doc.items[1].sales_order_item = doc.items[0].sales_order_item
	with pytest.raises(OverRefundError, match=r"Row #2: the same order line is already refunded in row #1"):
		doc.insert()

	for bad_qty in (0, -1):
		doc = f.refund_request_for(so.name)
		doc.items[0].qty = bad_qty
		with pytest.raises(OverRefundError, match=r"Row #1: quantity to refund must be greater than zero"):
			doc.insert()
	assert count_requests(so.name) == 0


def test_item_rate_and_limit_come_from_the_order_not_the_client():
	so, _ = order([(3, 100.0)])
	f.pay("Sales Order", so.name)
	doc = f.refund_request_for(so.name)
	doc.items[0].rate = 1000
	doc.items[0].max_refundable_qty = 99
	doc.items[0].item_code = f.make_item(stock_qty=0)
	doc.insert()
	assert doc.items[0].rate == 100
	assert doc.items[0].max_refundable_qty == 3
	assert doc.items[0].item_code == so.items[0].item_code


# ---------------------------------------------------------------- refundable quantity


def test_undelivered_order_refunds_up_to_ordered_and_delivered_order_up_to_delivered():
	so, (item,) = order([(5, 100.0)])
	f.deliver(so.name, {item: 3})
	f.bill(so.name)  # billed for all 5

	doc = f.refund_request_for(so.name)
	assert doc.return_goods == 1
	assert doc.items[0].max_refundable_qty == 3
	doc.items[0].qty = 4
	with pytest.raises(OverRefundError, match=r"Row #1: cannot refund <strong>4</strong> of .* at most <strong>3</strong> .*\(delivered"):
		doc.insert()

	doc.return_goods = 0  # no goods back: the limit is what was ordered
	doc.insert()
	assert doc.items[0].max_refundable_qty == 5
	assert doc.refund_amount == 440


def test_two_refunds_against_one_order_share_its_quantities():
	so, (item,) = order([(5, 100.0)])
	f.deliver(so.name)
	si = f.bill(so.name)
	f.pay("Sales Invoice", si.name)

	first = f.refund_request_for(so.name)
	first.items[0].qty = 2
	first.insert()

	second = f.refund_request_for(so.name)
	assert second.items[0].max_refundable_qty == 3
	second.items[0].qty = 4
	with pytest.raises(OverRefundError, match=r"at most .*3"):
		second.insert()
	second.items[0].qty = 3
	second.insert()

	# the order is now fully claimed: nothing more to map
	with pytest.raises(frappe.ValidationError, match="Nothing is left to refund"):
		f.refund_request_for(so.name)

	# a cancelled request gives its quantity back
	f.approve(first)
	f.act(first, "Cancel")
	assert (first.docstatus, first.status) == (2, "Cancelled")
	third = f.refund_request_for(so.name)
	assert third.items[0].max_refundable_qty == 2

	# a rejected one too
	f.act(second, "Submit for Approval")
	f.reject(second, "Quantity not returned")
	assert second.status == "Rejected"
	fourth = f.refund_request_for(so.name)
	assert fourth.items[0].max_refundable_qty == 5


def test_returns_made_in_erpnext_outside_the_app_reduce_the_refundable_quantity():
	so, (item,) = order([(5, 100.0)])
	dn = f.deliver(so.name)
	si = f.bill(so.name)
	f.pay("Sales Invoice", si.name)

	f.return_delivery(dn.name, {item: 1})
	doc = f.refund_request_for(so.name)
	assert doc.items[0].max_refundable_qty == 4

	# the credit note for the same returned unit is not counted twice (larger of the two, not the sum)
	f.credit_note(si.name, {item: 1})
	doc = f.refund_request_for(so.name)
	assert doc.items[0].max_refundable_qty == 4

	f.credit_note(si.name, {item: 2})  # credited without goods back: 3 credited in all
	doc = f.refund_request_for(so.name)
	assert doc.items[0].max_refundable_qty == 2


def test_limits_are_checked_again_on_submit():
	so, (item,) = order([(5, 100.0)])
	dn = f.deliver(so.name)
	si = f.bill(so.name)
	f.pay("Sales Invoice", si.name)
	doc = f.refund_request_for(so.name)
	doc.insert()  # all 5
	f.act(doc, "Submit for Approval")

	f.return_delivery(dn.name, {item: 3})  # meanwhile 3 come back through ERPNext directly
	with pytest.raises(OverRefundError, match=r"at most .*2"):
		f.act(doc, "Approve")  # approving submits the request
	assert frappe.db.get_value("Refund Request", doc.name, ["docstatus", "status"]) == (0, "Pending Approval")


# ---------------------------------------------------------------- amounts


def test_unbilled_unpaid_order_has_nothing_to_refund():
	so, _ = order([(2, 100.0)])  # neither delivered, billed nor paid
	doc = f.refund_request_for(so.name)
	assert doc.return_goods == 0 and doc.items[0].max_refundable_qty == 2
	with pytest.raises(RefundAmountError, match=r"more than the customer was billed or paid .* at most .*0\.00"):
		doc.insert()
	assert count_requests(so.name) == 0


def test_advance_on_unbilled_order_caps_the_refund():
	so, (item,) = order([(4, 100.0)])  # 440 with taxes
	f.pay("Sales Order", so.name, amount=220)
	doc = f.refund_request_for(so.name)
	assert doc.items[0].max_refundable_qty == 4
	with pytest.raises(RefundAmountError, match=r"at most .*220\.00"):
		doc.insert()
	doc.items[0].qty = 2  # 2 x 100 + 10 % = 220
	doc.insert()
	assert doc.refund_amount == 220

	again = f.refund_request_for(so.name)
	again.items[0].qty = 1
	with pytest.raises(RefundAmountError, match=r"at most .*0\.00"):
		again.insert()


def test_billed_unpaid_order_refunds_as_credit_up_to_the_billed_amount():
	so, (item,) = order([(3, 100.0)])
	f.bill(so.name)
	doc = f.refund_request_for(so.name)
	doc.insert()
	assert doc.refund_amount == 330


def test_deductions_reduce_the_refund_and_can_never_make_it_negative():
	so, _ = order([(2, 100.0)])
	si = f.bill(so.name)
	f.pay("Sales Invoice", si.name)
	fee_account = frappe.db.get_value("Account", {"company": so.company, "account_name": "Miscellaneous Expenses"})

	doc = f.refund_request_for(so.name)
	doc.append("deductions", {"description": "Restocking fee", "account": fee_account, "amount": 250})
	with pytest.raises(RefundAmountError, match="cannot be negative"):
		doc.insert()

	doc.deductions[0].amount = -5
	with pytest.raises(RefundAmountError, match=r"Deduction row #1: amount cannot be negative"):
		doc.insert()

	doc.deductions[0].amount = 22
	doc.insert()
	assert (doc.items_total, doc.taxes_total, doc.deductions_total, doc.refund_amount) == (200, 20, 22, 198)


def test_deduction_account_must_belong_to_the_company():
	so, _ = order([(1, 100.0)])
	si = f.bill(so.name)
	other_account = frappe.db.get_value("Account", {"company": ("!=", so.company), "is_group": 0})
	doc = f.refund_request_for(so.name)
	doc.append("deductions", {"description": "Fee", "account": other_account, "amount": 1})
	with pytest.raises(RefundAmountError, match="does not belong to company"):
		doc.insert()
	assert count_requests(so.name) == 0
	assert si.name


def test_amounts_are_rounded_to_the_currency_precision():
	so, _ = order([(3, 33.335)])
	si = f.bill(so.name)
	f.pay("Sales Invoice", si.name)
	doc = f.refund_request_for(so.name)
	doc.items[0].qty = 1
	doc.insert()
	rate = so.items[0].net_rate
	expected_amount = flt(rate, 2)
	assert doc.items[0].amount == expected_amount
	assert doc.items[0].tax_amount == flt(rate * 0.1, 2)
	assert doc.refund_amount == flt(expected_amount + flt(rate * 0.1, 2), 2)
	for value in (doc.items_total, doc.taxes_total, doc.refund_amount):
		assert value == flt(value, 2)


def test_refund_within_limits_submits_and_posts():
	so, (item,) = order([(2, 100.0)])
	f.deliver(so.name)
	si = f.bill(so.name)
	f.pay("Sales Invoice", si.name)
	doc = f.refund_request_for(so.name, reason="Wrong Item")
	doc.insert()
	doc = f.approve(doc)
	# approval posts return, credit note and payment (ledgers checked in test_postings)
	assert frappe.db.get_value("Refund Request", doc.name, ["docstatus", "status"]) == (1, "Refunded")
	assert [p.reference_doctype for p in doc.postings] == ["Delivery Note", "Sales Invoice", "Payment Entry"]


@pytest.mark.parametrize("value", [{"": 0}, ["SO-1"], "<b>SO</b>"])
def test_a_link_value_no_document_can_be_named_is_refused_plainly(value):
	before = frappe.db.count("Refund Request")
	with pytest.raises(frappe.LinkValidationError, match="does not exist"):
		frappe.get_doc({"doctype": "Refund Request", "sales_order": value, "refund_reason": "Wrong Item", "items": []}).insert()
	assert frappe.db.count("Refund Request") == before
