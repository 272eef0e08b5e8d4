"""Approval routing (refund_manager.core.routing): first matching rule by priority, default one level.

Plain Python, no site needed.
"""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refund_manager.core.problems import Problem
from refund_manager.core.routing import (
	AUTO_APPROVE,
	DEFAULT_LEVEL,
	ONE_LEVEL,
	OUTCOME_LEVELS,
	TWO_LEVELS,
	ApprovalRule,
	Route,
	RoutedRequest,
	check_rules,
	groups_needed,
	matches,
	route,
	stricter,
)


def request(amount=100.0, **kwargs) -> RoutedRequest:
	values = {
		"company": "ACME",
		"refund_reason": "Damaged",
		"customer_groups": frozenset({"Retail", "All Customer Groups"}),
		"item_groups": frozenset({"Phones", "Electronics", "All Item Groups"}),
	}
	values.update(kwargs)
	return RoutedRequest(amount=amount, **values)


# ---------------------------------------------------------------- defaults


def test_no_rules_gives_one_level():
	assert route([], request()) == Route(level=1, rule=None)
	assert DEFAULT_LEVEL == 1


def test_outcomes_map_to_levels():
	assert OUTCOME_LEVELS == {AUTO_APPROVE: 0, ONE_LEVEL: 1, TWO_LEVELS: 2}
	assert Route(0, "r").auto_approved and not Route(1).auto_approved


def test_nothing_matching_gives_one_level_even_when_other_rules_auto_approve():
	rules = [ApprovalRule("small", AUTO_APPROVE, to_amount=50)]
	assert route(rules, request(amount=50)) == Route(1)


def test_empty_rule_matches_everything():
	assert matches(ApprovalRule("all", TWO_LEVELS), request(amount=0))
	assert route([ApprovalRule("all", TWO_LEVELS)], request()) == Route(2, "all")


# ---------------------------------------------------------------- each condition


@pytest.mark.parametrize(
	"amount, expected",
	[(0, False), (99.99, False), (100, True), (499.99, True), (500, False), (10_000, False)],
)
def test_amount_range_is_from_inclusive_to_exclusive(amount, expected):
	rule = ApprovalRule("band", ONE_LEVEL, from_amount=100, to_amount=500)
	assert matches(rule, request(amount=amount)) is expected


def test_to_amount_zero_means_no_upper_limit():
	rule = ApprovalRule("big", TWO_LEVELS, from_amount=1000)
	assert matches(rule, request(amount=1000))
	assert matches(rule, request(amount=1e12))
	assert not matches(rule, request(amount=999.99))


def test_refund_reason_must_be_equal():
	rule = ApprovalRule("r", AUTO_APPROVE, refund_reason="Late Delivery")
	assert matches(rule, request(refund_reason="Late Delivery"))
	assert not matches(rule, request(refund_reason="Damaged"))
	assert not matches(rule, request(refund_reason=None))


def test_customer_group_matches_the_group_or_a_parent_group():
	assert matches(ApprovalRule("r", AUTO_APPROVE, customer_group="Retail"), request())
	assert matches(ApprovalRule("r", AUTO_APPROVE, customer_group="All Customer Groups"), request())
	assert not matches(ApprovalRule("r", AUTO_APPROVE, customer_group="Wholesale"), request())
	assert not matches(ApprovalRule("r", AUTO_APPROVE, customer_group="Retail"), request(customer_groups=frozenset()))


def test_item_group_matches_when_any_item_is_in_it():
	mixed = request(item_groups=frozenset({"Phones", "Electronics", "Books", "All Item Groups"}))
	assert matches(ApprovalRule("r", TWO_LEVELS, item_group="Electronics"), mixed)
	assert matches(ApprovalRule("r", TWO_LEVELS, item_group="Books"), mixed)
	assert not matches(ApprovalRule("r", TWO_LEVELS, item_group="Food"), mixed)


def test_company_must_be_equal():
	assert matches(ApprovalRule("r", AUTO_APPROVE, company="ACME"), request())
	assert not matches(ApprovalRule("r", AUTO_APPROVE, company="Other"), request())


def test_all_conditions_must_hold():
	rule = ApprovalRule(
		"r", AUTO_APPROVE, refund_reason="Damaged", customer_group="Retail", item_group="Phones", to_amount=200
	)
	assert matches(rule, request(amount=150))
	assert not matches(rule, request(amount=250))
	assert not matches(rule, request(amount=150, refund_reason="Wrong Item"))
	assert not matches(rule, request(amount=150, customer_groups=frozenset({"Wholesale"})))
	assert not matches(rule, request(amount=150, item_groups=frozenset({"Books"})))


def test_disabled_rule_never_matches():
	rule = ApprovalRule("off", AUTO_APPROVE, enabled=False)
	assert not matches(rule, request())
	assert route([rule], request()) == Route(1)


# ---------------------------------------------------------------- first match by priority


def test_lowest_priority_number_is_tried_first_whatever_the_row_order():
	rules = [
		ApprovalRule("catch all", TWO_LEVELS, priority=100, order=1),
		ApprovalRule("small", AUTO_APPROVE, priority=1, order=2, to_amount=200),
	]
	assert route(rules, request(amount=150)) == Route(0, "small")
	assert route(rules, request(amount=250)) == Route(2, "catch all")


def test_equal_priorities_keep_row_order():
	rules = [
		ApprovalRule("second row", TWO_LEVELS, priority=5, order=2),
		ApprovalRule("first row", AUTO_APPROVE, priority=5, order=1),
	]
	assert route(rules, request()) == Route(0, "first row")


def test_a_later_stricter_rule_does_not_override_the_first_match():
	rules = [
		ApprovalRule("reason", AUTO_APPROVE, priority=1, refund_reason="Damaged"),
		ApprovalRule("amount", TWO_LEVELS, priority=2, from_amount=50),
	]
	assert route(rules, request(amount=1000)).rule == "reason"


# ---------------------------------------------------------------- stricter (frozen paths)


def test_stricter_never_lowers_a_frozen_path():
	assert stricter(Route(2, "a"), Route(1, "b")) == Route(2, "a")
	assert stricter(Route(1, "a"), Route(2, "b")) == Route(2, "b")
	assert stricter(Route(1, "a"), Route(1, "b")) == Route(1, "a")
	assert stricter(Route(1, "a"), Route(0, "b")) == Route(1, "a")


# ---------------------------------------------------------------- check_rules


def test_valid_rules_have_no_problems():
	rules = [
		ApprovalRule("small", AUTO_APPROVE, order=1, to_amount=100),
		ApprovalRule("big", TWO_LEVELS, order=2, from_amount=100),
	]
	assert check_rules(rules) == []


def test_check_rules_reports_each_problem_with_its_row():
	rules = [
		ApprovalRule("a", "Three Levels", order=1),
		ApprovalRule("b", ONE_LEVEL, order=2, from_amount=-1),
		ApprovalRule("c", ONE_LEVEL, order=3, from_amount=500, to_amount=100),
		ApprovalRule("d", ONE_LEVEL, order=4, from_amount=100, to_amount=100),
		ApprovalRule(" A ", ONE_LEVEL, order=5),
	]
	assert check_rules(rules) == [
		Problem("unknown_outcome", 1, {"outcome": "Three Levels"}),
		Problem("negative_amount", 2),
		Problem("empty_amount_range", 3, {"from": 500, "to": 100}),
		Problem("empty_amount_range", 4, {"from": 100, "to": 100}),
		Problem("duplicate_name", 5, {"first_row": 1, "name": " A "}),
	]


# ---------------------------------------------------------------- properties

outcomes = st.sampled_from(sorted(OUTCOME_LEVELS))
amounts = st.floats(min_value=0, max_value=1e9, allow_nan=False, allow_infinity=False)
groups = st.sampled_from(["Retail", "Wholesale", "Phones", "Books", None])
rule_lists = st.lists(
	st.builds(
		ApprovalRule,
		name=st.text(min_size=1, max_size=5),
		outcome=outcomes,
		priority=st.integers(0, 5),
		order=st.integers(0, 50),
		enabled=st.booleans(),
		customer_group=groups,
		item_group=groups,
		from_amount=amounts,
		to_amount=amounts,
	),
	max_size=8,
)
requests = st.builds(
	RoutedRequest,
	amount=amounts,
	customer_groups=st.frozensets(st.sampled_from(["Retail", "Wholesale"])),
	item_groups=st.frozensets(st.sampled_from(["Phones", "Books"])),
)


@settings(deadline=None)
@given(rule_lists, requests)
def test_route_is_the_first_match_in_priority_order_or_the_default(rules, req):
	result = route(rules, req)
	matching = [r for r in sorted(rules, key=lambda r: (r.priority, r.order)) if matches(r, req)]
	if matching:
		assert result == Route(matching[0].level, matching[0].name)
	else:
		assert result == Route(DEFAULT_LEVEL, None)
	assert result.level in (0, 1, 2)


@settings(deadline=None)
@given(rule_lists, requests)
def test_route_does_not_depend_on_the_order_rules_are_given_in(rules, req):
	assert route(rules, req) == route(list(reversed(rules)), req)


@settings(deadline=None)
@given(rule_lists, requests)
def test_disabling_every_rule_falls_back_to_one_level(rules, req):
	from dataclasses import replace

	assert route([replace(r, enabled=False) for r in rules], req) == Route(1)


@settings(deadline=None)
@given(rule_lists, requests)
def test_groups_no_rule_needs_can_be_left_unread(rules, req):
	"""approval.routed_request reads a request's groups only when groups_needed says a rule uses them."""
	from dataclasses import replace

	customer, item = groups_needed(rules)
	unread = replace(
		req,
		customer_groups=req.customer_groups if customer else frozenset(),
		item_groups=req.item_groups if item else frozenset(),
	)
	assert route(rules, unread) == route(rules, req)


def test_groups_needed_only_for_enabled_rules_with_groups():
	assert groups_needed([]) == (False, False)
	assert groups_needed([ApprovalRule("a", AUTO_APPROVE, customer_group="Retail")]) == (True, False)
	assert groups_needed([ApprovalRule("a", AUTO_APPROVE, item_group="Phones")]) == (False, True)
	assert groups_needed([ApprovalRule("a", AUTO_APPROVE, customer_group="Retail", item_group="Phones", enabled=False)]) == (
		False,
		False,
	)
