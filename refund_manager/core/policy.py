"""Refund policies: which policy judges a request, what it refuses, what it flags, what it charges.

Selection: a policy applies to its company and, when it names them, to a customer group and an
item group (each including their sub-groups). A request is judged by ONE policy: among those
whose customer group holds the customer and whose item group holds every refunded item, the most
specific wins - more conditions set first, then the nearest groups (a sub-group beats its parent),
then the policy name, so the choice never depends on row order.

Rules (refused unless a Refund Manager overrides them with a written justification):
- return window: the request's date is at most `return_window_days` after the delivery (or the
  invoice when nothing was delivered); no window when the policy sets 0 days or nothing was
  delivered or invoiced yet;
- allowed reasons: when the policy lists reasons, the request's reason must be one of them;
- evidence: the policy (or the reason) asks for an attachment before the request goes for approval.

Risk flags (never refused, but the request always goes to a person, whatever the routing rules):
- frequency: the customer already has `frequency_limit` or more refunds within `frequency_days`;
- amount: the refund in company currency is above `review_amount_above`.

Fees (deduction rows): a restocking fee of a percentage of the returned goods' value before taxes
(the reason's percentage when the policy names one for it, else the policy's), only when goods
come back; and the shipping share of the refund when the policy says shipping is not refundable.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date

from refund_manager.core.problems import Problem

RESTOCKING_FEE = "Restocking Fee"
SHIPPING = "Non-refundable Shipping"
OTHER = "Other"
FEE_TYPES = (RESTOCKING_FEE, SHIPPING)


@dataclass(frozen=True)
class Policy:
	name: str
	company: str
	customer_group: str | None = None
	item_group: str | None = None
	return_window_days: int = 0  # 0: no window
	allowed_reasons: frozenset[str] = frozenset()  # empty: every reason
	requires_evidence: bool = False
	restocking_fee_percent: float = 0.0
	reason_fee_percent: Mapping[str, float] = field(default_factory=dict, hash=False)
	shipping_refundable: bool = True
	frequency_limit: int = 0  # 0: no limit
	frequency_days: int = 0
	review_amount_above: float = 0.0  # 0: no amount flag
	enabled: bool = True


@dataclass(frozen=True)
class Candidate:
	"""What selection looks at. Groups map each group holding the request to its distance:
	0 for the customer's (item's) own group, 1 for its parent, and so on."""

	company: str
	customer_groups: Mapping[str, int]
	item_groups: tuple[Mapping[str, int], ...]  # one mapping per refunded item


def _distance(group: str | None, groups: Mapping[str, int]) -> int | None:
	if not group:
		return 0
	return groups.get(group)


def _specificity(policy: Policy, candidate: Candidate) -> tuple | None:
	if not policy.enabled or policy.company != candidate.company:
		return None
	customer_distance = _distance(policy.customer_group, candidate.customer_groups)
	if customer_distance is None:
		return None
	item_distances = [_distance(policy.item_group, groups) for groups in candidate.item_groups]
	if policy.item_group and (not item_distances or None in item_distances):
		return None  # an item-group policy judges a request only when every item is in its group
	conditions = bool(policy.customer_group) + bool(policy.item_group)
	nearest = customer_distance + max(item_distances, default=0)
	return (-conditions, nearest, policy.name)


def select(policies: Iterable[Policy], candidate: Candidate) -> Policy | None:
	"""The most specific enabled policy that applies, or None."""
	ranked = [(key, policy) for policy in policies if (key := _specificity(policy, candidate)) is not None]
	return min(ranked, key=lambda pair: pair[0])[1] if ranked else None


@dataclass(frozen=True)
class Facts:
	"""What the rules look at, for one request."""

	refund_reason: str | None
	request_date: date
	window_start: date | None  # delivery (or invoice) date; None when nothing delivered or billed
	amount: float  # refund in company currency
	recent_refunds: int = 0  # the customer's other live refunds within the policy's frequency_days
	has_evidence: bool | None = None  # None: not known (a request not saved yet)


def window_start(delivery_dates: Iterable[date], invoice_dates: Iterable[date]) -> date | None:
	"""The window runs from the last delivery of the refunded goods, else their last invoice."""
	delivered = [d for d in delivery_dates if d]
	if delivered:
		return max(delivered)
	invoiced = [d for d in invoice_dates if d]
	return max(invoiced) if invoiced else None


def violations(policy: Policy, facts: Facts) -> list[Problem]:
	"""Rules broken, in a fixed order; each names its rule and values."""
	problems: list[Problem] = []
	if policy.return_window_days > 0 and facts.window_start:
		days = (facts.request_date - facts.window_start).days
		if days > policy.return_window_days:
			problems.append(
				Problem(
					"outside_window",
					values={"days": days, "window": policy.return_window_days, "since": facts.window_start},
				)
			)
	if policy.allowed_reasons and facts.refund_reason not in policy.allowed_reasons:
		problems.append(
			Problem(
				"reason_not_allowed",
				values={"reason": facts.refund_reason, "allowed": tuple(sorted(policy.allowed_reasons))},
			)
		)
	if facts.has_evidence is False and policy.requires_evidence:
		problems.append(Problem("evidence_missing"))
	return problems


def risk_flags(policy: Policy | None, facts: Facts) -> list[Problem]:
	if not policy:
		return []
	flags: list[Problem] = []
	if policy.frequency_limit > 0 and facts.recent_refunds >= policy.frequency_limit:
		flags.append(
			Problem(
				"frequency",
				values={
					"count": facts.recent_refunds,
					"limit": policy.frequency_limit,
					"days": policy.frequency_days,
				},
			)
		)
	if policy.review_amount_above > 0 and facts.amount > policy.review_amount_above:
		flags.append(Problem("amount", values={"amount": facts.amount, "limit": policy.review_amount_above}))
	return flags


@dataclass(frozen=True)
class Fee:
	deduction_type: str
	amount: float
	percent: float = 0.0  # of `base`, for a restocking fee
	base: float = 0.0


def restocking_percent(policy: Policy, refund_reason: str | None) -> float:
	if refund_reason and refund_reason in policy.reason_fee_percent:
		return policy.reason_fee_percent[refund_reason]
	return policy.restocking_fee_percent


def fees(
	policy: Policy | None,
	refund_reason: str | None,
	return_goods: bool,
	goods_value: float,
	shipping_amount: float,
	precision: int = 2,
) -> list[Fee]:
	"""The deduction rows the policy asks for (rows of amount 0 are left out)."""
	if not policy:
		return []
	result: list[Fee] = []
	percent = restocking_percent(policy, refund_reason)
	if return_goods and percent > 0 and goods_value > 0:
		amount = round(goods_value * percent / 100, precision)
		if amount > 0:
			result.append(Fee(RESTOCKING_FEE, amount, percent, goods_value))
	if not policy.shipping_refundable and round(shipping_amount, precision) > 0:
		result.append(Fee(SHIPPING, round(shipping_amount, precision)))
	return result


@dataclass(frozen=True)
class FeeRow:
	"""A deduction row as saved before and as sent now, for `merge_fee_rows`."""

	deduction_type: str
	amount: float
	previous_amount: float | None = None  # saved (or computed) before; None: added by hand now
	edited: bool = False  # changed by hand earlier and kept


@dataclass(frozen=True)
class FeeDecision:
	deduction_type: str
	amount: float
	computed: float
	edited: bool


def merge_fee_rows(
	rows: Iterable[FeeRow], computed: Iterable[Fee], may_edit: bool, precision: int = 2
) -> tuple[list[FeeDecision], list[Problem]]:
	"""Keep the policy's fee rows in step with the request, hand edits by the right role kept.

	A row changed in this save (amount differs from what was saved) is a hand edit: allowed only
	when `may_edit`; otherwise it is reported. Rows never edited follow the computed amount; a fee
	the policy no longer asks for disappears unless edited by hand. One row per fee type.
	"""
	wanted = {fee.deduction_type: fee.amount for fee in computed}
	decisions: list[FeeDecision] = []
	problems: list[Problem] = []
	seen: set[str] = set()
	for row in rows:
		if row.deduction_type not in FEE_TYPES or row.deduction_type in seen:
			continue
		seen.add(row.deduction_type)
		target = wanted.get(row.deduction_type, 0.0)
		# a row added or changed in this save; untouched rows repeat what was saved
		changed_now = row.previous_amount is None or round(row.amount - row.previous_amount, precision) != 0
		if changed_now and round(row.amount - target, precision) != 0:
			if not may_edit:
				problems.append(Problem("fee_edit_not_allowed", values={"type": row.deduction_type}))
				decisions.append(FeeDecision(row.deduction_type, target, target, False))
				continue
			decisions.append(FeeDecision(row.deduction_type, row.amount, target, True))
		elif row.edited and not (changed_now and round(row.amount - target, precision) == 0):
			decisions.append(FeeDecision(row.deduction_type, row.amount, target, True))
		elif target:
			decisions.append(FeeDecision(row.deduction_type, target, target, False))
	for deduction_type, amount in wanted.items():
		if deduction_type not in seen:
			decisions.append(FeeDecision(deduction_type, amount, amount, False))
	return decisions, problems
