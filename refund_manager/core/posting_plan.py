"""Which ERPNext documents a refund posts, in which order, for the state of its order.

A price adjustment credits the customer by Journal Entry (voucher type Credit Note): returns
account and taxes debited; the credit settles what is still owed on the invoice, the rest is paid
back in the same voucher (customer debited, bank credited), so nothing is left to reconcile. Otherwise, billed lines are refunded through a Credit Note (Sales Invoice return). The credit first pays off
what the customer still owes on that invoice; what it exceeds went out of the customer's pocket
and goes back by Payment Entry, fees taken as Payment Entry deductions. Lines not billed yet are
refunded from the order's advance by Journal Entry. Goods delivered by Delivery Note come back by a
return Delivery Note; when the invoice itself moved the stock, the Credit Note moves it back.
"""

from dataclasses import dataclass
from enum import Enum


class Step(str, Enum):
	STOCK_RETURN = "Stock Return"  # return Delivery Note against the original Delivery Note(s)
	CREDIT_NOTE = "Credit Note"  # Sales Invoice return against the original invoice
	RECONCILE = "Reconcile"  # Journal Entry: part of the credit settles what is still owed
	PAYMENT = "Payment"  # Payment Entry (Pay) to the customer against the credit note
	ADVANCE_REFUND = "Advance Refund"  # Journal Entry: advance of an unbilled order paid back
	ADJUSTMENT = "Adjustment"  # Journal Entry (Credit Note): part of the price goes back, no goods
	FEE_JOURNAL = "Fee Journal"  # Journal Entry: fees the customer still owes when no money goes out


class PlanError(Exception):
	def __init__(self, code: str, **values):
		super().__init__(code)
		self.code = code
		self.values = values


@dataclass(frozen=True)
class RefundState:
	return_goods: bool
	delivered_by_delivery_note: bool  # the lines were delivered by Delivery Note
	billed: bool  # the lines are on a Sales Invoice
	unbilled: bool  # some lines are not on any Sales Invoice
	invoice_updates_stock: bool  # that invoice moved the stock itself
	invoice_outstanding: float  # still owed on the invoice before the refund
	advance_paid: float  # advance held on the order (unbilled lines)
	credit_amount: float  # items + taxes given back
	deductions: float  # fees kept back
	price_adjustment: bool = False  # part of the price goes back, no goods, invoiced lines only


@dataclass(frozen=True)
class Plan:
	steps: tuple[Step, ...]
	credit_against_invoice: bool  # the credit note only lowers what is owed (update_outstanding_for_self = 0)
	reconcile_amount: float  # credit used to settle what is still owed on the invoice
	pay_amount: float  # money out to the customer
	fee_in_payment: float  # fees taken as Payment Entry deductions
	fee_in_journal: float  # fees booked by Journal Entry
	status: str  # "Refunded" when money goes out, else "Credited"


def plan_postings(state: RefundState, precision: int = 2) -> Plan:
	def r(value: float) -> float:
		return round(value + 0.0, precision)

	if state.billed and state.unbilled:
		raise PlanError("mixed_billing")
	if r(state.deductions) > r(state.credit_amount):
		raise PlanError("fees_above_credit", deductions=state.deductions, credit=state.credit_amount)

	if state.price_adjustment:
		return _plan_adjustment(state, r)

	steps: list[Step] = []
	moves_stock_by_invoice = state.billed and state.invoice_updates_stock
	if state.return_goods and state.delivered_by_delivery_note and not moves_stock_by_invoice:
		steps.append(Step.STOCK_RETURN)

	if not state.billed:
		if r(state.credit_amount) > 0 and r(state.advance_paid) <= 0:
			raise PlanError("nothing_paid")
		refund = r(state.credit_amount - state.deductions)
		steps.append(Step.ADVANCE_REFUND)
		return Plan(
			tuple(steps),
			credit_against_invoice=False,
			reconcile_amount=0.0,
			pay_amount=refund,
			fee_in_payment=0.0,
			fee_in_journal=r(state.deductions),
			status="Refunded" if refund > 0 else "Credited",
		)

	steps.append(Step.CREDIT_NOTE)
	owed = max(0.0, r(state.invoice_outstanding))
	if owed >= r(state.credit_amount):
		# nothing was paid for what is credited: the credit note lowers the invoice's outstanding
		if r(state.deductions) > 0:
			steps.append(Step.FEE_JOURNAL)
		return Plan(tuple(steps), True, 0.0, 0.0, 0.0, r(state.deductions), "Credited")

	money_back = r(state.credit_amount - owed)
	if owed > 0:
		steps.append(Step.RECONCILE)
	fee_in_payment = min(r(state.deductions), money_back)
	pay_amount = r(money_back - fee_in_payment)
	fee_in_journal = r(state.deductions - fee_in_payment)
	if pay_amount > 0:
		steps.append(Step.PAYMENT)
	else:
		fee_in_journal, fee_in_payment = r(state.deductions), 0.0
	if fee_in_journal > 0:
		steps.append(Step.FEE_JOURNAL)
	return Plan(
		tuple(steps),
		credit_against_invoice=False,
		reconcile_amount=owed,
		pay_amount=pay_amount,
		fee_in_payment=fee_in_payment,
		fee_in_journal=fee_in_journal,
		status="Refunded" if pay_amount > 0 else "Credited",
	)


def _plan_adjustment(state: RefundState, r) -> Plan:
	if not state.billed or state.unbilled:
		raise PlanError("adjustment_unbilled")
	net = r(state.credit_amount - state.deductions)
	settled = min(max(0.0, r(state.invoice_outstanding)), net)
	pay_amount = r(net - settled)
	return Plan(
		(Step.ADJUSTMENT,),
		credit_against_invoice=pay_amount == 0,
		reconcile_amount=settled,
		pay_amount=pay_amount,
		fee_in_payment=0.0,
		fee_in_journal=r(state.deductions),
		status="Refunded" if pay_amount > 0 else "Credited",
	)
