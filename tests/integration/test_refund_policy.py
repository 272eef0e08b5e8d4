"""Refund policies on a real site: the policy a request is judged by, refusals and overrides,
risk flags forcing a person, fee rows (restocking, shipping) and what they post."""

import frappe
import pytest
from frappe.utils import add_days, flt, nowdate

from refund_manager.refund_manager.doctype.refund_request.refund_request import PolicyViolationError
from tests.integration import factories as f
from tests.integration.ledger import customer_balance, gl

pytestmark = pytest.mark.usefixtures("company")

FEES = f"Miscellaneous Expenses - {f.ABBR}"
SHIPPING = f"RM Shipping Income - {f.ABBR}"
CASH = f"Cash - {f.ABBR}"


def make_policy(name=None, **values):
	doc = frappe.get_doc(
		{
			"doctype": "Refund Policy",
			"policy_name": name or f.unique("RM Policy"),
			"company": f.COMPANY,
			**values,
		}
	)
	return doc.insert()


def set_restocking_account(account=FEES):
	settings = frappe.get_single("Refund Settings")
	settings.for_company(f.COMPANY).restocking_fee_account = account
	settings.save()


sold = f.sold


def draft(so, qty=None, reason="Wrong Item"):
	doc = f.refund_request_for(so.name, reason=reason)
	if qty is not None:
		doc.items[0].qty = qty
	return doc


# ---------------------------------------------------------------- which policy


def test_most_specific_policy_judges_the_request_and_is_recorded():
	group = f.make_group("Customer Group", "RM Policy Retail", f.CUSTOMER_GROUP)
	sub_items = f.make_group("Item Group", "RM Policy Phones", "All Item Groups")
	general = make_policy()
	by_customer = make_policy(customer_group=f.CUSTOMER_GROUP)  # the parent of the customer's group
	by_both = make_policy(customer_group=group, item_group=sub_items)

	o = sold(customer_group=group)
	assert draft(o.so).insert().refund_policy == by_customer.name

	o2 = sold(customer_group=group, item_group=sub_items)
	assert draft(o2.so).insert().refund_policy == by_both.name

	by_both.db_set("enabled", 0)
	o3 = sold(customer_group=f.make_group("Customer Group", "RM Policy Other", "All Customer Groups"))
	assert draft(o3.so).insert().refund_policy == general.name


# ---------------------------------------------------------------- rules and overrides


def test_outside_the_window_is_refused_naming_the_rule():
	policy = make_policy(return_window_days=30)
	o = sold()
	doc = draft(o.so)
	doc.posting_date = add_days(nowdate(), 30)
	doc.insert()  # the last day of the window
	doc.delete()
	doc2 = draft(o.so, qty=1)
	doc2.posting_date = add_days(nowdate(), 31)
	with pytest.raises(PolicyViolationError, match="Return window") as raised:
		doc2.insert()
	assert policy.name in str(raised.value) and "31 days" in str(raised.value)
	assert not frappe.db.exists("Refund Request", {"sales_order": o.so.name})


def test_disallowed_reason_is_refused_then_overridden_by_a_refund_manager_only():
	policy = make_policy(allowed_reasons=[{"refund_reason": "Damaged"}])
	o = sold()
	sales_user = f.make_user("Sales User")
	manager = f.make_user("Refund Manager", "Sales User")

	frappe.set_user(sales_user)
	with pytest.raises(PolicyViolationError, match="Allowed reasons"):
		draft(o.so, reason="Changed Mind").insert()
	doc = draft(o.so, reason="Changed Mind")
	doc.policy_override = 1
	doc.override_justification = "Loyal customer"
	with pytest.raises(frappe.PermissionError, match="Only a Refund Manager"):
		doc.insert()

	frappe.set_user(manager)
	doc = draft(o.so, reason="Changed Mind")
	doc.policy_override = 1
	with pytest.raises(PolicyViolationError, match="justification"):
		doc.insert()
	doc.override_justification = "Loyal customer since 2019"
	doc.insert()
	frappe.set_user("Administrator")

	doc.reload()
	assert doc.refund_policy == policy.name
	assert "Allowed reasons" in doc.policy_violations
	assert doc.overridden_by == manager
	assert doc.overridden_violations == "reason_not_allowed"
	timeline = frappe.get_all(
		"Comment",
		filters={"reference_doctype": "Refund Request", "reference_name": doc.name, "comment_type": "Comment"},
		pluck="content",
	)
	assert any("overridden" in c and "Loyal customer since 2019" in c for c in timeline)
	# and reported
	_, rows = frappe.get_doc("Report", "Refund Policy Overrides").get_data(user="Administrator", as_dict=True)
	[reported] = [r for r in rows if r.get("name") == doc.name]
	assert (reported["overridden_by"], reported["refund_policy"]) == (manager, policy.name)
	assert reported["override_justification"] == "Loyal customer since 2019"

	# a sales user may go on editing the overridden request, but not the override itself
	frappe.set_user(sales_user)
	doc.description = "customer called again"
	doc.save()
	doc.override_justification = "changed"
	with pytest.raises(frappe.PermissionError):
		doc.save()
	frappe.set_user("Administrator")


def test_policy_evidence_is_required_before_approval_unless_overridden():
	make_policy(requires_evidence=1)
	o = sold()
	doc = draft(o.so).insert()  # a draft can be saved; evidence is attached after saving
	assert "Evidence rule" in doc.policy_violations
	with pytest.raises(PolicyViolationError, match="Evidence rule"):
		f.act(doc, "Submit for Approval")
	assert frappe.db.get_value("Refund Request", doc.name, "workflow_state") in (None, "Draft")

	frappe.get_doc(
		{
			"doctype": "File",
			"file_name": "photo.txt",
			"content": b"broken screen",
			"attached_to_doctype": "Refund Request",
			"attached_to_name": doc.name,
			"is_private": 1,
		}
	).insert()
	f.act(doc, "Submit for Approval")
	assert doc.workflow_state == "Pending Approval"
	assert not doc.policy_violations


# ---------------------------------------------------------------- risk flags


def test_amount_flag_sends_an_auto_approvable_request_to_a_person():
	f.set_approval_rules({"outcome": "Auto Approve", "to_amount": 10000})
	make_policy(review_amount_above=300)
	o = sold()
	small = draft(o.so, qty=2).insert()  # 220 with tax
	assert (small.manual_review, small.approval_level) == (0, 0)
	big = draft(o.so, qty=3).insert()  # 330 with tax
	assert big.manual_review == 1 and "Amount limit" in big.risk_flags
	assert big.approval_level == 1 and big.matched_rule == "Rule 1"
	f.act(big, "Submit for Approval")
	assert big.workflow_state == "Pending Approval" and big.docstatus == 0


def test_frequency_flag_counts_the_customers_live_refunds_in_the_period():
	make_policy(frequency_limit=2, frequency_days=30)
	o = sold(qty=10)
	first = draft(o.so, qty=1).insert()
	second = draft(o.so, qty=1).insert()
	assert (first.manual_review, second.manual_review) == (0, 0)
	third = draft(o.so, qty=1).insert()
	assert third.manual_review == 1 and "2 refunds within 30 days" in third.risk_flags
	# a rejected or cancelled request is not a refund the customer had
	frappe.db.set_value("Refund Request", first.name, "status", "Rejected")
	third.save()
	assert third.manual_review == 0
	# older than the period: not counted
	frappe.db.set_value("Refund Request", first.name, "status", "Draft")
	frappe.db.set_value("Refund Request", first.name, "posting_date", add_days(nowdate(), -31))
	third.save()
	assert third.manual_review == 0


# ---------------------------------------------------------------- fees


def test_restocking_fee_row_from_the_policy_and_per_reason():
	set_restocking_account()
	make_policy(restocking_fee_percent=10, reason_fees=[{"refund_reason": "Damaged", "restocking_fee_percent": 0}])
	o = sold()
	doc = draft(o.so, qty=2).insert()  # goods back: 200 of goods
	[fee] = doc.deductions
	assert (fee.deduction_type, fee.amount, fee.computed_amount, fee.account) == ("Restocking Fee", 20.0, 20.0, FEES)
	assert "10% of" in fee.description
	assert (doc.items_total, doc.taxes_total, doc.deductions_total, doc.refund_amount) == (200.0, 20.0, 20.0, 200.0)
	# the quantity changes: the fee follows
	doc.items[0].qty = 3
	doc.save()
	assert (doc.deductions[0].amount, doc.refund_amount) == (30.0, 300.0)
	# no goods back: no restocking fee
	doc.return_goods = 0
	doc.save()
	assert doc.deductions == [] and doc.refund_amount == 330.0
	# a reason with its own percentage (0: none)
	doc.return_goods = 1
	doc.refund_reason = "Damaged"
	doc.save()
	assert doc.deductions == []


def test_fee_rows_are_changed_only_by_the_right_roles_and_every_change_is_tracked():
	set_restocking_account()
	make_policy(restocking_fee_percent=10)
	o = sold()
	sales_user = f.make_user("Sales User")
	approver = f.make_user("Refund Approver", "Sales User")

	frappe.set_user(sales_user)
	doc = draft(o.so, qty=2).insert()
	doc.deductions[0].amount = 0
	with pytest.raises(frappe.PermissionError, match="Restocking Fee"):
		doc.save()
	doc.reload()
	doc.remove(doc.deductions[0])
	doc.save()  # a deleted fee row comes back
	assert [(d.deduction_type, d.amount) for d in doc.deductions] == [("Restocking Fee", 20.0)]

	frappe.set_user(approver)
	doc.deductions[0].amount = 5
	doc.save(ignore_version=False)  # Frappe skips Versions under tests unless asked; Desk saves keep them
	frappe.set_user("Administrator")
	doc.reload()
	assert (doc.deductions[0].amount, doc.deductions[0].computed_amount, doc.deductions[0].edited) == (5.0, 20.0, 1)
	assert doc.refund_amount == 215.0
	versions = frappe.get_all(
		"Version", filters={"ref_doctype": "Refund Request", "docname": doc.name}, fields=["data", "owner"]
	)
	changed = [frappe.parse_json(v.data).get("row_changed") or [] for v in versions if v.owner == approver]
	assert any(row[0] == "deductions" and ["edited", 0, 1] in row[3] for rows in changed for row in rows)
	assert any(row[0] == "deductions" and row[3][0][0] == "amount" for rows in changed for row in rows)

	# the hand edit is kept when the quantity changes later
	frappe.set_user(sales_user)
	doc.items[0].qty = 3
	doc.save()
	frappe.set_user("Administrator")
	assert (doc.deductions[0].amount, doc.deductions[0].computed_amount) == (5.0, 30.0)


def test_non_refundable_shipping_is_kept_back_and_the_shipping_income_stays():
	set_restocking_account()
	if not frappe.db.exists("Account", SHIPPING):
		frappe.get_doc(
			{
				"doctype": "Account",
				"account_name": "RM Shipping Income",
				"company": f.COMPANY,
				"parent_account": f"Direct Income - {f.ABBR}",
			}
		).insert()
	frappe.get_doc(
		{
			"doctype": "Shipping Rule",
			"label": f.unique("RM Shipping"),
			"company": f.COMPANY,
			"shipping_rule_type": "Selling",
			"calculate_based_on": "Fixed",
			"shipping_amount": 15,
			"account": SHIPPING,
			"cost_center": f"Main - {f.ABBR}",
		}
	).insert()
	make_policy(shipping_refundable=0)

	customer = f.make_customer()
	item = f.make_item()
	so = f.make_sales_order(customer, [(item, 2, 100.0)], submit=False)
	so.append(
		"taxes",
		{"charge_type": "Actual", "account_head": SHIPPING, "description": "Shipping", "tax_amount": 15, "cost_center": f"Main - {f.ABBR}"},
	)
	so.save()
	so.submit()
	f.deliver(so.name)
	si = f.bill(so.name)
	f.pay("Sales Invoice", si.name)

	doc = draft(so).insert()  # the whole order: 200 + 20 tax + 15 shipping
	assert (doc.items_total, doc.taxes_total, doc.shipping_amount) == (200.0, 35.0, 15.0)
	[kept] = doc.deductions
	assert (kept.deduction_type, kept.amount, kept.account) == ("Non-refundable Shipping", 15.0, SHIPPING)
	assert doc.refund_amount == 220.0

	from refund_manager.breakdown import of_request

	shown = of_request(doc)
	assert (shown["taxes_total"], shown["shipping_amount"], shown["refund_amount"]) == (20.0, 15.0, 220.0)
	assert shown["deductions"] == [{"deduction_type": "Non-refundable Shipping", "description": kept.description, "amount": 15.0}]

	f.approve(doc)
	assert doc.status == "Refunded"
	[pe] = [p.reference_name for p in doc.postings if p.reference_doctype == "Payment Entry"]
	assert gl(pe)[CASH] == -220.0
	# shipping: 15 earned on the invoice, reversed by the credit note, kept back by the deduction
	shipping_net = sum(gl(v).get(SHIPPING, 0.0) for v in (si.name, *[p.reference_name for p in doc.postings]))
	assert flt(shipping_net, 2) == -15.0  # net credit: still earned
	assert customer_balance(customer) == 0
