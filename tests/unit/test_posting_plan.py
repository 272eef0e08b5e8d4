"""Which documents a refund posts for each order state (pure: no frappe)."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refund_manager.core.posting_plan import PlanError, RefundState, Step, plan_postings


def state(**overrides) -> RefundState:
	values = dict(
		return_goods=True,
		delivered_by_delivery_note=True,
		billed=True,
		unbilled=False,
		invoice_updates_stock=False,
		invoice_outstanding=0.0,
		advance_paid=0.0,
		credit_amount=220.0,
		deductions=0.0,
	)
	values.update(overrides)
	return RefundState(**values)


def test_delivered_billed_paid_returns_goods_credits_and_pays_back_less_fees():
	plan = plan_postings(state(deductions=10.0))
	assert plan.steps == (Step.STOCK_RETURN, Step.CREDIT_NOTE, Step.PAYMENT)
	assert (plan.pay_amount, plan.fee_in_payment, plan.fee_in_journal) == (210.0, 10.0, 0.0)
	assert not plan.credit_against_invoice
	assert plan.status == "Refunded"


def test_unpaid_invoice_is_only_credited_and_fees_stay_owed():
	plan = plan_postings(state(invoice_outstanding=550.0, deductions=10.0))
	assert plan.steps == (Step.STOCK_RETURN, Step.CREDIT_NOTE, Step.FEE_JOURNAL)
	assert plan.credit_against_invoice
	assert (plan.pay_amount, plan.fee_in_journal) == (0.0, 10.0)
	assert plan.status == "Credited"


def test_unpaid_invoice_without_fees_posts_no_journal():
	plan = plan_postings(state(invoice_outstanding=220.0))
	assert plan.steps == (Step.STOCK_RETURN, Step.CREDIT_NOTE)
	assert plan.status == "Credited"


def test_partly_paid_invoice_settles_the_debt_then_pays_the_rest():
	plan = plan_postings(state(invoice_outstanding=100.0))
	assert plan.steps == (Step.STOCK_RETURN, Step.CREDIT_NOTE, Step.RECONCILE, Step.PAYMENT)
	assert (plan.reconcile_amount, plan.pay_amount) == (100.0, 120.0)


def test_fees_larger_than_the_money_back_go_to_a_journal():
	plan = plan_postings(state(invoice_outstanding=200.0, deductions=20.0))  # 20 back, 20 fee
	assert Step.PAYMENT not in plan.steps
	assert plan.steps[-1] == Step.FEE_JOURNAL
	assert (plan.pay_amount, plan.fee_in_journal, plan.status) == (0.0, 20.0, "Credited")


def test_invoice_that_moved_stock_is_reversed_by_the_credit_note_alone():
	plan = plan_postings(state(invoice_updates_stock=True, delivered_by_delivery_note=False))
	assert plan.steps == (Step.CREDIT_NOTE, Step.PAYMENT)


def test_no_goods_back_posts_no_stock_return():
	assert Step.STOCK_RETURN not in plan_postings(state(return_goods=False)).steps


def test_unbilled_order_refunds_its_advance_by_journal():
	plan = plan_postings(state(billed=False, unbilled=True, delivered_by_delivery_note=False, advance_paid=300.0, deductions=5.0))
	assert plan.steps == (Step.ADVANCE_REFUND,)
	assert (plan.pay_amount, plan.fee_in_journal, plan.status) == (215.0, 5.0, "Refunded")


def test_unbilled_delivered_goods_come_back_too():
	plan = plan_postings(state(billed=False, unbilled=True, advance_paid=300.0))
	assert plan.steps == (Step.STOCK_RETURN, Step.ADVANCE_REFUND)


def test_price_adjustment_is_one_journal_that_settles_what_is_owed_then_pays():
	plan = plan_postings(state(price_adjustment=True, credit_amount=33.0, invoice_outstanding=10.0))
	assert plan.steps == (Step.ADJUSTMENT,)
	assert (plan.reconcile_amount, plan.pay_amount, plan.status) == (10.0, 23.0, "Refunded")


def test_price_adjustment_on_an_unpaid_invoice_only_credits():
	plan = plan_postings(state(price_adjustment=True, credit_amount=55.0, invoice_outstanding=550.0, deductions=5.0))
	assert (plan.reconcile_amount, plan.pay_amount, plan.fee_in_journal, plan.status) == (50.0, 0.0, 5.0, "Credited")


@pytest.mark.parametrize(
	("overrides", "code"),
	[
		(dict(unbilled=True), "mixed_billing"),
		(dict(deductions=221.0), "fees_above_credit"),
		(dict(billed=False, unbilled=True, advance_paid=0.0), "nothing_paid"),
		(dict(price_adjustment=True, billed=False, unbilled=True), "adjustment_unbilled"),
	],
)
def test_impossible_states_are_refused(overrides, code):
	with pytest.raises(PlanError) as e:
		plan_postings(state(**overrides))
	assert e.value.code == code


money = st.decimals(min_value=0, max_value=100000, places=2).map(float)


@settings(deadline=None)
@given(credit=money, owed=money, fee_share=st.floats(min_value=0, max_value=1))
def test_the_customer_ends_owing_exactly_what_is_left_for_billed_refunds(credit, owed, fee_share):
	"""Money out and the customer's balance after the refund, whatever was paid before."""
	fees = round(credit * fee_share, 2)
	plan = plan_postings(state(credit_amount=credit, invoice_outstanding=owed, deductions=fees))
	# credit note lowers the balance; payment and fee journal raise it; the reconcile journal is neutral
	balance_after = round(owed - credit + plan.pay_amount + plan.fee_in_payment + plan.fee_in_journal, 2)
	assert balance_after == max(0.0, round(owed - credit + fees, 2))
	assert plan.pay_amount == max(0.0, round(credit - owed - fees, 2))
	assert round(plan.fee_in_payment + plan.fee_in_journal, 2) == fees
	assert (Step.PAYMENT in plan.steps) == (plan.pay_amount > 0)
	assert plan.status == ("Refunded" if plan.pay_amount > 0 else "Credited")
	assert plan.steps.count(Step.CREDIT_NOTE) == 1
	assert (Step.RECONCILE in plan.steps) == (0 < owed < credit)

