"""Approval routing: which path a Refund Request takes, decided by the first matching rule.

A rule matches when every condition it sets holds (an empty condition matches anything):
- company equal to the request's company;
- refund reason equal to the request's reason;
- customer group: the customer's group or one of its parent groups;
- item group: the group (or a parent group) of at least one refunded item;
- amount in company currency within [from_amount, to_amount): from inclusive, to exclusive,
  a to_amount of 0 meaning "no upper limit".
Enabled rules are tried by ascending priority (ties: in row order); the first match decides.
When none matches, the safe default applies: one level of approval.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from refund_manager.core.problems import Problem

AUTO_APPROVE = "Auto Approve"
ONE_LEVEL = "One Level"
TWO_LEVELS = "Two Levels"

# Outcome of a rule -> number of approval levels (0: approved by the rule itself).
OUTCOME_LEVELS = {AUTO_APPROVE: 0, ONE_LEVEL: 1, TWO_LEVELS: 2}
DEFAULT_LEVEL = 1


@dataclass(frozen=True)
class ApprovalRule:
	name: str
	outcome: str
	priority: int = 0
	order: int = 0  # row order, breaks ties in priority
	enabled: bool = True
	company: str | None = None
	refund_reason: str | None = None
	customer_group: str | None = None
	item_group: str | None = None
	from_amount: float = 0.0
	to_amount: float = 0.0  # 0: no upper limit

	@property
	def level(self) -> int:
		return OUTCOME_LEVELS[self.outcome]


@dataclass(frozen=True)
class RoutedRequest:
	"""What routing looks at; groups include every parent group (nested sets flattened)."""

	amount: float  # refund amount in company currency
	company: str | None = None
	refund_reason: str | None = None
	customer_groups: frozenset[str] = frozenset()
	item_groups: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Route:
	level: int
	rule: str | None = None  # None: the default applied

	@property
	def auto_approved(self) -> bool:
		return self.level == 0


def matches(rule: ApprovalRule, request: RoutedRequest) -> bool:
	if not rule.enabled:
		return False
	if rule.company and rule.company != request.company:
		return False
	if rule.refund_reason and rule.refund_reason != request.refund_reason:
		return False
	if rule.customer_group and rule.customer_group not in request.customer_groups:
		return False
	if rule.item_group and rule.item_group not in request.item_groups:
		return False
	if request.amount < rule.from_amount:
		return False
	if rule.to_amount and request.amount >= rule.to_amount:
		return False
	return True


def ordered(rules: Iterable[ApprovalRule]) -> list[ApprovalRule]:
	return sorted(rules, key=lambda rule: (rule.priority, rule.order))


def groups_needed(rules: Iterable[ApprovalRule]) -> tuple[bool, bool]:
	"""Whether any enabled rule matches on a customer group, on an item group: only then does
	routing need the request's groups (and every parent of them) read."""
	enabled = [rule for rule in rules if rule.enabled]
	return any(rule.customer_group for rule in enabled), any(rule.item_group for rule in enabled)


def route(rules: Iterable[ApprovalRule], request: RoutedRequest) -> Route:
	"""The path of the first matching rule by priority, else one level."""
	for rule in ordered(rules):
		if matches(rule, request):
			return Route(level=rule.level, rule=rule.name)
	return Route(level=DEFAULT_LEVEL)


def stricter(frozen: Route, fresh: Route) -> Route:
	"""The route with more approval levels (the frozen one when equal): a path is never lowered."""
	return fresh if fresh.level > frozen.level else frozen


def check_rules(rules: Iterable[ApprovalRule]) -> list[Problem]:
	"""Every problem with the rules, in row order; an empty list means valid."""
	problems: list[Problem] = []
	seen: dict[str, int] = {}
	for rule in rules:
		if rule.outcome not in OUTCOME_LEVELS:
			problems.append(Problem("unknown_outcome", rule.order, {"outcome": rule.outcome}))
		if rule.from_amount < 0 or rule.to_amount < 0:
			problems.append(Problem("negative_amount", rule.order))
		elif rule.to_amount and rule.to_amount <= rule.from_amount:
			problems.append(
				Problem("empty_amount_range", rule.order, {"from": rule.from_amount, "to": rule.to_amount})
			)
		key = rule.name.strip().casefold()
		if key in seen:
			problems.append(Problem("duplicate_name", rule.order, {"first_row": seen[key], "name": rule.name}))
		else:
			seen[key] = rule.order
	return problems


def for_manual_review(route: Route) -> Route:
	"""A request flagged by its refund policy always goes to a person: never auto-approved."""
	return route if route.level >= DEFAULT_LEVEL else Route(level=DEFAULT_LEVEL, rule=route.rule)
