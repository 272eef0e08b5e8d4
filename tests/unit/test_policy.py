"""Refund policies (refund_manager.core.policy): selection, rules, risk flags, fees, fee rows.

Plain Python, no site needed.
"""

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

from refund_manager.core import policy as p
from refund_manager.core.routing import DEFAULT_LEVEL, Route, for_manual_review

COMPANY = "ACME"


def candidate(customer_groups=None, item_groups=None, company=COMPANY) -> p.Candidate:
	return p.Candidate(
		company=company,
		customer_groups=customer_groups if customer_groups is not None else {"Retail": 0, "All Customer Groups": 1},
		item_groups=tuple(item_groups if item_groups is not None else [{"Phones": 0, "Products": 1, "All Item Groups": 2}]),
	)


def facts(**kwargs) -> p.Facts:
	values = {
		"refund_reason": "Damaged",
		"request_date": date(2026, 3, 31),
		"window_start": date(2026, 3, 1),
		"amount": 100.0,
	}
	values.update(kwargs)
	return p.Facts(**values)


# ------------------------------------------------------------------ selection


def test_no_policy_for_the_company():
	assert p.select([p.Policy("Other", "Other Co")], candidate()) is None


def test_company_wide_policy_applies_to_anything_of_the_company():
	general = p.Policy("General", COMPANY)
	assert p.select([general], candidate()) is general


def test_more_conditions_win_over_fewer():
	general = p.Policy("General", COMPANY)
	retail = p.Policy("Retail", COMPANY, customer_group="Retail")
	retail_phones = p.Policy("Retail Phones", COMPANY, customer_group="Retail", item_group="Phones")
	assert p.select([general, retail_phones, retail], candidate()) is retail_phones


def test_nearer_group_wins_over_its_parent():
	products = p.Policy("A Products", COMPANY, item_group="Products")
	phones = p.Policy("Z Phones", COMPANY, item_group="Phones")
	assert p.select([products, phones], candidate()) is phones


def test_item_group_policy_needs_every_item_in_its_group():
	phones = p.Policy("Phones", COMPANY, item_group="Phones")
	general = p.Policy("General", COMPANY)
	mixed = candidate(item_groups=[{"Phones": 0, "Products": 1}, {"Cables": 0, "Products": 1}])
	assert p.select([phones, general], mixed) is general


def test_disabled_and_foreign_group_policies_do_not_apply():
	disabled = p.Policy("Disabled", COMPANY, customer_group="Retail", enabled=False)
	wholesale = p.Policy("Wholesale", COMPANY, customer_group="Wholesale")
	assert p.select([disabled, wholesale], candidate()) is None


def test_ties_are_broken_by_name_not_by_order():
	a = p.Policy("A", COMPANY, customer_group="Retail")
	b = p.Policy("B", COMPANY, customer_group="Retail")
	assert p.select([b, a], candidate()) is a
	assert p.select([a, b], candidate()) is a


# ------------------------------------------------------------------ rules


def test_window_counts_days_from_delivery_inclusive_of_the_last_day():
	policy = p.Policy("P", COMPANY, return_window_days=30)
	assert p.violations(policy, facts(request_date=date(2026, 3, 31))) == []
	(problem,) = p.violations(policy, facts(request_date=date(2026, 4, 1)))
	assert problem.code == "outside_window"
	assert problem.values["days"] == 31 and problem.values["window"] == 30


def test_no_window_when_nothing_was_delivered_or_the_policy_sets_none():
	assert p.violations(p.Policy("P", COMPANY, return_window_days=30), facts(window_start=None)) == []
	assert p.violations(p.Policy("P", COMPANY), facts(request_date=date(2030, 1, 1))) == []


def test_window_start_prefers_the_last_delivery_then_the_last_invoice():
	d1, d2, i1 = date(2026, 1, 5), date(2026, 1, 9), date(2026, 2, 1)
	assert p.window_start([d1, d2], [i1]) == d2
	assert p.window_start([], [i1, d1]) == i1
	assert p.window_start([], []) is None


def test_reason_must_be_allowed_when_the_policy_lists_reasons():
	policy = p.Policy("P", COMPANY, allowed_reasons=frozenset({"Damaged", "Wrong Item"}))
	assert p.violations(policy, facts(refund_reason="Damaged")) == []
	(problem,) = p.violations(policy, facts(refund_reason="Changed Mind"))
	assert problem.code == "reason_not_allowed"
	assert problem.values["allowed"] == ("Damaged", "Wrong Item")


def test_evidence_is_only_judged_when_checked():
	policy = p.Policy("P", COMPANY, requires_evidence=True)
	assert p.violations(policy, facts(has_evidence=None)) == []
	assert p.violations(policy, facts(has_evidence=True)) == []
	assert [x.code for x in p.violations(policy, facts(has_evidence=False))] == ["evidence_missing"]


def test_all_broken_rules_are_named_in_order():
	policy = p.Policy(
		"P", COMPANY, return_window_days=1, allowed_reasons=frozenset({"Wrong Item"}), requires_evidence=True
	)
	codes = [x.code for x in p.violations(policy, facts(has_evidence=False))]
	assert codes == ["outside_window", "reason_not_allowed", "evidence_missing"]


# ------------------------------------------------------------------ risk flags


def test_frequency_flag_when_the_limit_is_reached_before_this_request():
	policy = p.Policy("P", COMPANY, frequency_limit=2, frequency_days=30)
	assert p.risk_flags(policy, facts(recent_refunds=1)) == []
	(flag,) = p.risk_flags(policy, facts(recent_refunds=2))
	assert flag.code == "frequency" and flag.values == {"count": 2, "limit": 2, "days": 30}


def test_amount_flag_above_the_review_limit_only():
	policy = p.Policy("P", COMPANY, review_amount_above=500)
	assert p.risk_flags(policy, facts(amount=500)) == []
	assert [f.code for f in p.risk_flags(policy, facts(amount=500.01))] == ["amount"]
	assert p.risk_flags(None, facts(amount=10**9)) == []


def test_a_flagged_request_never_skips_a_person():
	assert for_manual_review(Route(level=0, rule="Small")) == Route(level=DEFAULT_LEVEL, rule="Small")
	assert for_manual_review(Route(level=2, rule="Big")) == Route(level=2, rule="Big")


# ------------------------------------------------------------------ fees


def test_restocking_fee_on_goods_value_only_when_goods_come_back():
	policy = p.Policy("P", COMPANY, restocking_fee_percent=10)
	assert p.fees(policy, "Damaged", True, 250.0, 0.0) == [p.Fee(p.RESTOCKING_FEE, 25.0, 10, 250.0)]
	assert p.fees(policy, "Damaged", False, 250.0, 0.0) == []


def test_reason_percentage_replaces_the_policy_one():
	policy = p.Policy("P", COMPANY, restocking_fee_percent=10, reason_fee_percent={"Changed Mind": 15, "Damaged": 0})
	assert p.fees(policy, "Changed Mind", True, 200.0, 0.0)[0].amount == 30.0
	assert p.fees(policy, "Damaged", True, 200.0, 0.0) == []
	assert p.fees(policy, "Wrong Item", True, 200.0, 0.0)[0].amount == 20.0


def test_shipping_share_kept_when_not_refundable():
	kept = p.Policy("P", COMPANY, shipping_refundable=False)
	assert p.fees(kept, None, True, 100.0, 7.5) == [p.Fee(p.SHIPPING, 7.5)]
	assert p.fees(p.Policy("P", COMPANY), None, True, 100.0, 7.5) == []
	assert p.fees(kept, None, True, 100.0, 0.0) == []


def test_fee_rounds_half_up_to_the_currency():
	policy = p.Policy("P", COMPANY, restocking_fee_percent=12.5)
	assert p.fees(policy, None, True, 0.9, 0.0)[0].amount == 0.11


@given(
	value=st.floats(min_value=0, max_value=1e7, allow_nan=False),
	percent=st.floats(min_value=0, max_value=100, allow_nan=False),
)
def test_restocking_fee_never_exceeds_the_goods(value, percent):
	policy = p.Policy("P", COMPANY, restocking_fee_percent=percent)
	for fee in p.fees(policy, None, True, value, 0.0):
		assert 0 < fee.amount <= round(value, 2) + 0.005


# ------------------------------------------------------------------ fee rows


def rows(*items):
	return [p.FeeRow(*item) for item in items]


def test_new_request_gets_the_computed_rows():
	decisions, problems = p.merge_fee_rows([], [p.Fee(p.RESTOCKING_FEE, 20.0)], may_edit=False)
	assert problems == []
	assert decisions == [p.FeeDecision(p.RESTOCKING_FEE, 20.0, 20.0, False)]


def test_untouched_rows_follow_the_policy():
	decisions, _ = p.merge_fee_rows(rows((p.RESTOCKING_FEE, 20.0, 20.0)), [p.Fee(p.RESTOCKING_FEE, 10.0)], False)
	assert decisions == [p.FeeDecision(p.RESTOCKING_FEE, 10.0, 10.0, False)]


def test_hand_edit_by_the_right_role_is_kept_and_marked():
	decisions, problems = p.merge_fee_rows(rows((p.RESTOCKING_FEE, 5.0, 20.0)), [p.Fee(p.RESTOCKING_FEE, 20.0)], True)
	assert problems == []
	assert decisions == [p.FeeDecision(p.RESTOCKING_FEE, 5.0, 20.0, True)]
	# later saves keep it while the policy would say something else
	decisions, _ = p.merge_fee_rows(rows((p.RESTOCKING_FEE, 5.0, 5.0, True)), [p.Fee(p.RESTOCKING_FEE, 12.0)], False)
	assert decisions == [p.FeeDecision(p.RESTOCKING_FEE, 5.0, 12.0, True)]


def test_hand_edit_without_the_role_is_refused():
	decisions, problems = p.merge_fee_rows(rows((p.RESTOCKING_FEE, 0.0, 20.0)), [p.Fee(p.RESTOCKING_FEE, 20.0)], False)
	assert [x.code for x in problems] == ["fee_edit_not_allowed"]


def test_deleted_policy_row_comes_back_and_other_rows_are_left_alone():
	decisions, problems = p.merge_fee_rows(rows((p.OTHER, 3.0, 3.0)), [p.Fee(p.SHIPPING, 4.0)], False)
	assert problems == []
	assert decisions == [p.FeeDecision(p.SHIPPING, 4.0, 4.0, False)]


def test_fee_no_longer_due_disappears_unless_edited():
	assert p.merge_fee_rows(rows((p.SHIPPING, 4.0, 4.0)), [], False) == ([], [])
	decisions, _ = p.merge_fee_rows(rows((p.SHIPPING, 2.0, 2.0, True)), [], False)
	assert decisions == [p.FeeDecision(p.SHIPPING, 2.0, 0.0, True)]


def test_setting_an_edited_row_back_to_the_policy_amount_clears_the_mark():
	decisions, _ = p.merge_fee_rows(rows((p.RESTOCKING_FEE, 20.0, 5.0, True)), [p.Fee(p.RESTOCKING_FEE, 20.0)], True)
	assert decisions == [p.FeeDecision(p.RESTOCKING_FEE, 20.0, 20.0, False)]


def test_window_arithmetic_matches_dates():
	start = date(2026, 1, 31)
	policy = p.Policy("P", COMPANY, return_window_days=14)
	for offset in range(0, 30):
		broken = bool(p.violations(policy, facts(window_start=start, request_date=start + timedelta(days=offset))))
		assert broken == (offset > 14)
