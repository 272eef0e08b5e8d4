"""What the general ledger says a refund gave back (pure: no frappe)."""

import pytest

from refund_manager.core.ledger import check_refund


@pytest.mark.parametrize(
	("case", "expected", "money_out", "party_net_credit"),
	[
		("paid invoice, fee kept", 210.0, 210.0, 0.0),
		("unpaid invoice, credited less fee", 210.0, 0.0, 210.0),
		("partly paid: debt settled, rest paid", 220.0, 120.0, 100.0),
		("advance paid back (advance consumed)", 215.0, 215.0, -220.0),
		("price adjustment credited and paid in one voucher", 33.0, 33.0, 0.0),
	],
)
def test_every_posting_kind_balances(case, expected, money_out, party_net_credit):
	assert check_refund(expected, money_out, party_net_credit).balanced, case


def test_a_payment_missing_from_the_ledger_is_flagged():
	check = check_refund(210.0, 0.0, 0.0)
	assert not check.balanced and check.difference == 210.0
