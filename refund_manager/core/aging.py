"""Refund SLA Aging arithmetic: how long open requests have waited, and who may act on them.

Age = hours since the request first left Draft (`requested_on`), bucketed by whole days:
0-24 h, 24-48 h, 48-72 h, > 72 h (lower bound inclusive: a request exactly 24 h old is 24-48 h).
The approvers of a request are the users holding a role allowed to take a transition out of its
current workflow state; the requester is left out (nobody approves their own request). An open
assignment (ToDo) names who must act instead.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

# (lower bound in hours, inclusive; label); the last bucket has no upper bound
BUCKETS = ((0.0, "0-24 h"), (24.0, "24-48 h"), (48.0, "48-72 h"), (72.0, "> 72 h"))
BUCKET_LABELS = tuple(label for _start, label in BUCKETS)


@dataclass(frozen=True)
class Transition:
	state: str
	action: str
	role: str


def age_hours(requested_on: datetime | None, now: datetime) -> float | None:
	if not requested_on:
		return None
	return max((now - requested_on).total_seconds(), 0.0) / 3600


def bucket(hours: float | None) -> str | None:
	"""The age bucket of `hours` (a request not yet stamped has none)."""
	if hours is None:
		return None
	label = BUCKET_LABELS[0]
	for start, name in BUCKETS:
		if hours >= start:
			label = name
	return label


def acting_roles(state: str, transitions: Iterable[Transition]) -> list[str]:
	"""Roles allowed to take any transition out of `state`, in the workflow's order."""
	roles: list[str] = []
	for t in transitions:
		if t.state == state and t.role not in roles:
			roles.append(t.role)
	return roles


def approvers(roles: Iterable[str], users_by_role: Mapping[str, Iterable[str]], requester: str | None) -> list[str]:
	users = {user for role in roles for user in users_by_role.get(role, ()) if user != requester}
	return sorted(users)


def counts_by_bucket(rows: Iterable[tuple[str | None, str | None]], statuses: Iterable[str]) -> dict[str, dict[str, int]]:
	"""(bucket, sla status) pairs -> {status: {bucket: count}} over every bucket and status given."""
	counts = {status: dict.fromkeys(BUCKET_LABELS, 0) for status in statuses}
	for label, status in rows:
		if label in BUCKET_LABELS and status in counts:
			counts[status][label] += 1
	return counts
