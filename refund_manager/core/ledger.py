"""What the general ledger says a refund gave the customer, and whether it matches the request.

Given back = money out (cash and bank accounts credited by the refund's postings, net of debits)
           + the customer's net credit the postings leave (what they no longer owe), if positive.

A refund of a paid invoice credits the customer by credit note and debits them by the payment
(net 0) while cash goes out; an unpaid one only lowers what they owe; an advance refund debits the
customer's advance (a negative net credit: their own money, not a refund) while cash goes out.
"""

from typing import NamedTuple


class LedgerCheck(NamedTuple):  # a tuple: Refund Ledger makes one per row (67,000 for a year)
	money_out: float
	credited: float
	given_back: float
	difference: float  # expected - given back
	balanced: bool


def check_refund(expected: float, money_out: float, party_net_credit: float, precision: int = 2) -> LedgerCheck:
	credited = max(0.0, round(party_net_credit, precision))
	given_back = round(money_out + credited, precision)
	difference = round(expected - given_back, precision)
	return LedgerCheck(round(money_out, precision), credited, given_back, difference, difference == 0)
