"""Approval posts the refund in ERPNext: ledger facts (GL, stock ledger, outstanding, statuses)."""

import frappe
import pytest
from frappe.query_builder.functions import Sum
from frappe.utils import flt

from refund_manager import posting
from refund_manager.core.posting_plan import Step
from refund_manager.posting import AlreadyPostedError, PostingSetupError
from tests.integration import factories as f
from tests.integration.ledger import customer_balance, gl, stock_moves

pytestmark = pytest.mark.usefixtures("company")

CASH = f"Cash - {f.ABBR}"
DEBTORS = f"Debtors - {f.ABBR}"
SALES = f"Sales - {f.ABBR}"
STOCK = f"Stock In Hand - {f.ABBR}"
COGS = f"Cost of Goods Sold - {f.ABBR}"
FEES = f"Miscellaneous Expenses - {f.ABBR}"


def postings(doc, doctype: str) -> list[str]:
	return [p.reference_name for p in doc.postings if p.reference_doctype == doctype]


def documents_of(request: str) -> list[tuple[str, str, int]]:
	found = []
	for doctype in posting.POSTED_DOCTYPES:
		for d in frappe.get_all(doctype, filters={"refund_request": request}, fields=["name", "docstatus"]):
			found.append((doctype, d.name, d.docstatus))
	return found


sold = f.sold


def request(so, qty, reason="Wrong Item", return_goods=None, fee=0.0):
	doc = f.refund_request_for(so.name, reason=reason)
	doc.items[0].qty = qty
	if return_goods is not None:
		doc.return_goods = return_goods
	if fee:
		doc.append("deductions", {"description": "Restocking fee", "account": FEES, "amount": fee})
	doc.insert()
	return doc


# ---------------------------------------------------------------- what gets posted


def test_delivered_billed_paid_with_restocking_fee():
	o = sold()
	assert customer_balance(o.customer) == 0  # invoiced 550, paid 550
	doc = request(o.so, 2, fee=10)
	f.approve(doc)

	assert doc.status == "Refunded"
	[ret] = postings(doc, "Delivery Note")
	[cn] = postings(doc, "Sales Invoice")
	[pe] = postings(doc, "Payment Entry")
	# goods back into the return warehouse, at their valuation (2 x 40)
	assert stock_moves(ret) == [(f.RETURNS, 2.0)]
	assert gl(ret) == {STOCK: 80.0, COGS: -80.0}
	# credit note: sales and tax reversed for the two units
	assert gl(cn) == {SALES: 200.0, f.TAX_ACCOUNT: 20.0, DEBTORS: -220.0}
	# money back: 210 out of cash, the 10 fee kept
	assert gl(pe) == {DEBTORS: 220.0, CASH: -210.0, FEES: -10.0}
	assert frappe.db.get_value("Payment Entry", pe, "payment_type") == "Pay"
	# the customer's balance for the order ends at exactly zero, the credit note is settled
	assert customer_balance(o.customer) == 0
	assert frappe.db.get_value("Sales Invoice", cn, ["outstanding_amount", "return_against", "refund_request"]) == (
		0,
		o.si.name,
		doc.name,
	)
	assert frappe.db.get_value("Delivery Note", o.dn.name, "per_returned") == 40
	assert frappe.db.get_value("Delivery Note", ret, ["is_return", "return_against"]) == (1, o.dn.name)
	assert frappe.db.get_value("Sales Order Item", o.so.items[0].name, "delivered_qty") == 3
	assert [(p.reference_doctype, p.amount) for p in doc.postings] == [
		("Delivery Note", -220.0),
		("Sales Invoice", -220.0),
		("Payment Entry", 210.0),
	]


def test_billed_but_unpaid_gets_a_credit_against_the_invoice():
	o = sold(pay=False)
	doc = request(o.so, 2, fee=10)
	f.approve(doc)

	assert doc.status == "Credited"
	assert not postings(doc, "Payment Entry")
	[cn] = postings(doc, "Sales Invoice")
	[fee_je] = postings(doc, "Journal Entry")
	assert frappe.db.get_value("Sales Invoice", cn, "update_outstanding_for_self") == 0
	assert gl(fee_je) == {DEBTORS: 10.0, FEES: -10.0}
	# 550 owed, 220 credited, the 10 fee still owed
	assert frappe.db.get_value("Sales Invoice", o.si.name, "outstanding_amount") == 340
	assert customer_balance(o.customer) == 340


def test_partly_paid_invoice_settles_what_is_owed_and_pays_back_the_rest():
	o = sold(pay=False)
	f.pay("Sales Invoice", o.si.name, amount=450)  # 100 still owed
	doc = request(o.so, 2)  # credit 220: 100 settles the debt, 120 goes back
	f.approve(doc)

	assert doc.status == "Refunded"
	[pe] = postings(doc, "Payment Entry")
	[reconcile] = postings(doc, "Journal Entry")
	assert gl(pe) == {DEBTORS: 120.0, CASH: -120.0}
	assert gl(reconcile) == {}  # moves the credit between the two invoices of one customer account
	assert frappe.db.get_value("Sales Invoice", o.si.name, "outstanding_amount") == 0
	assert frappe.db.get_value("Sales Invoice", postings(doc, "Sales Invoice")[0], "outstanding_amount") == 0
	assert customer_balance(o.customer) == 0


def test_advance_on_unbilled_order_is_paid_back_by_journal_entry():
	o = sold(deliver=False, bill=False)
	f.pay("Sales Order", o.so.name, amount=300)
	doc = request(o.so, 2, fee=5)  # 220 - 5
	f.approve(doc)

	assert doc.status == "Refunded"
	[je] = postings(doc, "Journal Entry")
	assert gl(je) == {DEBTORS: 220.0, CASH: -215.0, FEES: -5.0}
	assert not postings(doc, "Delivery Note") and not postings(doc, "Sales Invoice")
	assert customer_balance(o.customer) == -80  # 300 advance, 220 of it used by the refund


def test_advance_of_a_foreign_currency_order_is_paid_back_at_the_order_rate():
	customer = f.make_customer(currency="EUR")
	item = f.make_item()
	so = f.make_sales_order(customer, [(item, 4, 100.0)], currency="EUR", conversion_rate=1.2)
	f.pay("Sales Order", so.name, amount=300)
	doc = request(so, 1, fee=10)  # EUR 110 - 10
	f.approve(doc)

	[je] = postings(doc, "Journal Entry")
	receivable = f.ensure_receivable("EUR")
	assert gl(je) == {receivable: 132.0, CASH: -120.0, FEES: -12.0}
	assert frappe.db.get_value("Journal Entry", je, "multi_currency") == 1


def test_invoice_that_moved_the_stock_is_reversed_by_a_stock_credit_note():
	customer = f.make_customer()
	item = f.make_item(valuation_rate=40)
	so = f.make_sales_order(customer, [(item, 3, 100.0)])
	from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice

	si = make_sales_invoice(so.name)
	si.update_stock = 1
	si.items[0].warehouse = f.STORES
	si.insert()
	si.submit()
	f.pay("Sales Invoice", si.name)

	doc = request(so, 2)
	assert doc.return_goods == 1 and doc.items[0].max_refundable_qty == 3
	f.approve(doc)
	assert not postings(doc, "Delivery Note")
	[cn] = postings(doc, "Sales Invoice")
	assert frappe.db.get_value("Sales Invoice", cn, "update_stock") == 1
	assert stock_moves(cn) == [(f.RETURNS, 2.0)]
	assert gl(cn) == {SALES: 200.0, f.TAX_ACCOUNT: 20.0, DEBTORS: -220.0, STOCK: 80.0, COGS: -80.0}
	assert customer_balance(customer) == 0


def test_refund_without_goods_back_posts_no_stock():
	o = sold()
	doc = request(o.so, 1, reason="Late Delivery", return_goods=0)
	f.approve(doc)

	assert not postings(doc, "Delivery Note")
	[cn] = postings(doc, "Sales Invoice")
	assert frappe.db.get_value("Sales Invoice", cn, "update_stock") == 0
	assert stock_moves(cn) == []
	assert gl(cn) == {SALES: 100.0, f.TAX_ACCOUNT: 10.0, DEBTORS: -110.0}
	assert gl(postings(doc, "Payment Entry")[0]) == {DEBTORS: 110.0, CASH: -110.0}
	assert frappe.db.get_value("Delivery Note", o.dn.name, "per_returned") == 0


def test_two_partial_refunds_until_the_order_is_fully_refunded():
	o = sold()
	first = request(o.so, 2)
	f.approve(first)
	second = request(o.so, 3)
	f.approve(second)

	assert frappe.db.get_value("Delivery Note", o.dn.name, "per_returned") == 100
	assert frappe.db.get_value("Sales Order Item", o.so.items[0].name, "delivered_qty") == 0
	assert customer_balance(o.customer) == 0
	paid_back = sum(gl(pe)[CASH] for doc in (first, second) for pe in postings(doc, "Payment Entry"))
	assert paid_back == -550
	with pytest.raises(frappe.ValidationError, match="Nothing is left to refund"):
		f.refund_request_for(o.so.name)


def test_multi_currency_customer_is_refunded_in_the_order_currency_at_the_order_rate():
	customer = f.make_customer(currency="EUR")
	item = f.make_item(valuation_rate=40)
	so = f.make_sales_order(customer, [(item, 5, 100.0)], currency="EUR", conversion_rate=1.1)
	f.deliver(so.name)
	si = f.bill(so.name)
	f.pay("Sales Invoice", si.name)
	receivable = f.ensure_receivable("EUR")

	doc = request(so, 2, fee=10)  # EUR 220 credited, EUR 10 kept
	assert (doc.currency, doc.conversion_rate, doc.refund_amount, doc.base_refund_amount) == ("EUR", 1.1, 210, 231)
	f.approve(doc)

	[cn] = postings(doc, "Sales Invoice")
	[pe] = postings(doc, "Payment Entry")
	assert frappe.db.get_value("Sales Invoice", cn, ["currency", "conversion_rate", "grand_total"]) == ("EUR", 1.1, -220)
	assert gl(cn) == {SALES: 220.0, f.TAX_ACCOUNT: 22.0, receivable: -242.0}  # company currency
	assert gl(pe) == {receivable: 242.0, CASH: -231.0, FEES: -11.0}
	assert frappe.db.get_value("Payment Entry", pe, ["paid_amount", "received_amount"]) == (231.0, 210.0)
	gle = frappe.qb.DocType("GL Entry")
	in_eur = (
		frappe.qb.from_(gle)
		.select(Sum(gle.debit_in_account_currency) - Sum(gle.credit_in_account_currency))
		.where((gle.party == customer) & (gle.is_cancelled == 0))
		.run()[0][0]
	)
	assert flt(in_eur, 2) == 0 and customer_balance(customer) == 0


def returned_bundle_entries(doc) -> list[tuple[str | None, str | None, float]]:
	[ret] = postings(doc, "Delivery Note")
	bundle = frappe.db.get_value("Delivery Note Item", {"parent": ret}, "serial_and_batch_bundle")
	return sorted(
		(e.batch_no, e.serial_no, flt(e.qty))
		for e in frappe.get_all("Serial and Batch Entry", filters={"parent": bundle}, fields=["batch_no", "serial_no", "qty"])
	)


def test_batch_comes_back_with_its_batch_number():
	customer = f.make_customer()
	item = f.make_item(stock_qty=10, batch=True)
	batch = frappe.db.get_value("Batch", {"item": item}, "name")
	so = f.make_sales_order(customer, [(item, 5, 100.0)])
	f.deliver(so.name)
	f.pay("Sales Invoice", f.bill(so.name).name)
	doc = request(so, 2)
	f.approve(doc)
	assert returned_bundle_entries(doc) == [(batch, None, 2.0)]
	assert stock_moves(postings(doc, "Delivery Note")[0]) == [(f.RETURNS, 2.0)]


def test_serial_numbers_coming_back_are_the_ones_named_or_the_first_delivered():
	customer = f.make_customer()
	item = f.make_item(stock_qty=5, serial=True)
	so = f.make_sales_order(customer, [(item, 3, 100.0)])
	dn = f.deliver(so.name)
	f.pay("Sales Invoice", f.bill(so.name).name)
	delivered = sorted(dn.items[0].serial_no.split("\n"))

	doc = request(so, 1)
	f.approve(doc)  # none named: the first one delivered
	assert returned_bundle_entries(doc) == [(None, delivered[0], 1.0)]

	doc = request(so, 1)
	doc.items[0].serial_no = "RMS-NOT-DELIVERED"
	doc.save()
	with pytest.raises(PostingSetupError, match="not delivered: RMS-NOT-DELIVERED"):
		f.approve(doc)
	doc.reload()
	doc.items[0].serial_no = delivered[2]
	doc.save()
	f.approve(doc)
	assert returned_bundle_entries(doc) == [(None, delivered[2], 1.0)]
	assert frappe.db.get_value("Serial No", delivered[2], "warehouse") == f.RETURNS


def price_adjustment(so, qty, per_unit):
	doc = f.refund_request_for(so.name, reason="Price Adjustment")
	doc.refund_type = "Price Adjustment"
	doc.items[0].qty = qty
	doc.items[0].rate = per_unit
	doc.insert()
	return doc


def test_price_adjustment_on_a_paid_invoice_is_a_credit_note_journal_then_paid():
	o = sold()
	doc = price_adjustment(o.so, 2, 15)  # 2 x 15 + 10 % tax
	assert (doc.return_goods, doc.items_total, doc.taxes_total, doc.refund_amount) == (0, 30, 3, 33)
	f.approve(doc)

	assert doc.status == "Refunded"
	[je] = postings(doc, "Journal Entry")
	assert frappe.db.get_value("Journal Entry", je, "voucher_type") == "Credit Note"
	# credited and paid in one voucher: the customer's two lines net out, cash goes out
	assert gl(je) == {f.SALES_RETURNS: 30.0, f.TAX_ACCOUNT: 3.0, CASH: -33.0}
	customer_lines = frappe.get_all(
		"GL Entry", filters={"voucher_no": je, "party": o.customer, "is_cancelled": 0}, fields=["debit", "credit"]
	)
	assert sorted((r.debit, r.credit) for r in customer_lines) == [(0, 33), (33, 0)]
	assert not postings(doc, "Payment Entry")
	assert not postings(doc, "Delivery Note") and not postings(doc, "Sales Invoice")
	assert customer_balance(o.customer) == 0
	# the units were not returned: they can still come back later
	assert f.refund_request_for(o.so.name).items[0].max_refundable_qty == 5


def test_price_adjustment_on_an_unpaid_invoice_lowers_what_is_owed():
	o = sold(pay=False)
	doc = price_adjustment(o.so, 5, 10)
	f.approve(doc)
	assert doc.status == "Credited"
	assert not postings(doc, "Payment Entry")
	assert frappe.db.get_value("Sales Invoice", o.si.name, "outstanding_amount") == 495  # 550 - 55
	assert customer_balance(o.customer) == 495


def test_price_adjustment_needs_an_invoiced_line_and_at_most_the_order_rate():
	o = sold(bill=False, pay=False)
	f.pay("Sales Order", o.so.name, amount=100)
	with pytest.raises(frappe.ValidationError, match="applies to invoiced lines"):
		price_adjustment(o.so, 1, 10)

	o = sold()
	with pytest.raises(frappe.ValidationError, match="at most the order's rate"):
		price_adjustment(o.so, 1, 150)


# ---------------------------------------------------------------- never wrong, never twice


def test_cancel_reverses_every_posting():
	o = sold()
	stock_before = frappe.db.get_value("Bin", {"item_code": o.item, "warehouse": f.RETURNS}, "actual_qty") or 0
	doc = request(o.so, 2, fee=10)
	f.approve(doc)
	names = [(p.reference_doctype, p.reference_name) for p in doc.postings]

	f.cancel(doc)
	assert doc.status == "Cancelled"
	assert [frappe.db.get_value(dt, dn, "docstatus") for dt, dn in names] == [2, 2, 2]
	for _, name in names:
		assert gl(name) == {}
		assert stock_moves(name) == []
	assert (frappe.db.get_value("Bin", {"item_code": o.item, "warehouse": f.RETURNS}, "actual_qty") or 0) == stock_before
	assert customer_balance(o.customer) == 0
	assert frappe.db.get_value("Delivery Note", o.dn.name, "per_returned") == 0
	assert frappe.db.get_value("Sales Invoice", o.si.name, "status") == "Paid"
	# the quantity is refundable again
	assert f.refund_request_for(o.so.name).items[0].max_refundable_qty == 5


def test_failure_in_the_middle_of_posting_leaves_nothing_behind(monkeypatch):
	o = sold()
	doc = request(o.so, 2)

	def broken_payment(*args):
		raise frappe.ValidationError("bank is down")

	monkeypatch.setitem(posting.BUILDERS, Step.PAYMENT, broken_payment)
	with pytest.raises(frappe.ValidationError, match="bank is down"):
		f.approve(doc)
	assert documents_of(doc.name) == []
	assert frappe.db.get_value("Refund Request", doc.name, ["docstatus", "status"]) == (0, "Pending Approval")
	assert frappe.db.get_value("Delivery Note", o.dn.name, "per_returned") == 0
	assert customer_balance(o.customer) == 0

	monkeypatch.undo()  # the cause is fixed: the retry posts
	doc = frappe.get_doc("Refund Request", doc.name)
	f.approve(doc)
	assert doc.status == "Refunded" and len(doc.postings) == 3


def test_unexpected_error_while_posting_is_a_clear_message_and_is_logged(monkeypatch):
	o = sold()
	doc = request(o.so, 1)

	def bug(*args):
		raise KeyError("missing")

	monkeypatch.setitem(posting.BUILDERS, Step.CREDIT_NOTE, bug)
	with pytest.raises(posting.RefundPostingError, match="could not be posted and nothing was written"):
		f.approve(doc)
	assert documents_of(doc.name) == []  # the stock return made before the failure is gone too
	from frappe.deferred_insert import save_to_db

	save_to_db()
	assert frappe.db.exists("Error Log", {"reference_doctype": "Refund Request", "reference_name": doc.name})


def test_posting_as_the_application_gives_the_approvers_session_back_untouched():
	user = f.make_user("Refund Approver")
	frappe.set_user(user)
	frappe.local.session.sid = "sid-of-the-approver"
	frappe.local.session.data = frappe._dict(csrf_token="token")
	frappe.local.form_dict = frappe._dict(action="Submit")
	with posting.as_application():
		assert frappe.session.user == "Administrator"
	assert frappe.session.user == user
	assert frappe.local.session.sid == "sid-of-the-approver"
	assert frappe.local.session.data == {"csrf_token": "token"}
	assert frappe.local.form_dict == {"action": "Submit"}
	assert "Refund Approver" in frappe.get_roles()


def test_posting_twice_is_refused():
	o = sold()
	doc = request(o.so, 1)
	f.approve(doc)
	with pytest.raises(AlreadyPostedError, match="already posted"):
		posting.post_refund(doc)
	assert len(documents_of(doc.name)) == 3


def test_missing_setup_is_named_before_anything_is_written():
	o = sold()
	doc = request(o.so, 1)
	doc.db_set("return_warehouse", None)
	doc.db_set("mode_of_payment", "Wire Transfer")
	frappe.db.delete("Mode of Payment Account", {"parent": "Wire Transfer", "company": o.so.company})
	doc.reload()
	doc.return_warehouse = None
	with pytest.raises(PostingSetupError, match=r"Return Warehouse.*default account of Mode of Payment Wire Transfer"):
		posting.post_refund(doc)
	assert documents_of(doc.name) == []


def test_frozen_accounts_are_named_before_anything_is_written():
	o = sold()
	doc = request(o.so, 1)
	user = f.make_user("Refund Approver")
	settings = frappe.db.get_value(
		"Accounts Settings", None, ["acc_frozen_upto", "frozen_accounts_modifier"], as_dict=True
	)
	frappe.db.set_single_value("Accounts Settings", "acc_frozen_upto", frappe.utils.add_days(frappe.utils.nowdate(), 1))
	frappe.db.set_single_value("Accounts Settings", "frozen_accounts_modifier", None)
	frappe.set_user(user)
	try:
		with pytest.raises(PostingSetupError, match="Accounts are frozen"):
			f.approve(doc)
	finally:
		frappe.set_user("Administrator")
		frappe.db.set_single_value("Accounts Settings", settings)
	assert documents_of(doc.name) == []


def test_closed_accounting_period_is_named_before_anything_is_written():
	o = sold()
	doc = request(o.so, 1)
	today = frappe.utils.getdate()
	period = frappe.get_doc(
		{
			"doctype": "Accounting Period",
			"period_name": f.unique("RM Closed"),
			"company": f.COMPANY,
			"start_date": today.replace(day=1),
			"end_date": frappe.utils.get_last_day(today),
			"closed_documents": [{"document_type": "Payment Entry", "closed": 1}],
		}
	).insert()
	with pytest.raises(PostingSetupError, match=rf"Accounting Period .*{period.name}.* is closed for Payment Entry"):
		f.approve(doc)
	assert documents_of(doc.name) == []
	assert frappe.db.get_value("Refund Request", doc.name, "docstatus") == 0


def test_a_posting_cancelled_by_hand_blocks_cancelling_the_request():
	o = sold()
	doc = request(o.so, 1)
	f.approve(doc)
	pe = frappe.get_doc("Payment Entry", postings(doc, "Payment Entry")[0])
	pe.flags.ignore_links = True
	pe.flags.ignore_linked_doctypes = ("Refund Request",)
	pe.cancel()
	with pytest.raises(posting.RefundPostingError, match="was cancelled by hand"):
		f.cancel(frappe.get_doc("Refund Request", doc.name))
	assert frappe.db.get_value("Refund Request", doc.name, "docstatus") == 1
