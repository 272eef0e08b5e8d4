"""Refund SLA Aging arithmetic (refund_manager.core.aging): age buckets, acting roles, approvers.

Plain Python, no site needed.
"""

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from refund_manager.core.aging import (
	BUCKET_LABELS,
	Transition,
	acting_roles,
	age_hours,
	approvers,
	bucket,
	counts_by_bucket,
)

T0 = datetime(2026, 3, 2, 9, 0)


def test_age_in_hours_since_the_request():
	assert age_hours(T0, T0 + timedelta(hours=30, minutes=15)) == 30.25
	assert age_hours(T0, T0 - timedelta(hours=1)) == 0.0  # clock skew: never negative
	assert age_hours(None, T0) is None


@pytest.mark.parametrize(
	"hours, expected",
	[
		(0, "0-24 h"),
		(23.99, "0-24 h"),
		(24, "24-48 h"),  # lower bounds inclusive
		(47.5, "24-48 h"),
		(48, "48-72 h"),
		(71.99, "48-72 h"),
		(72, "> 72 h"),
		(1000, "> 72 h"),
		(None, None),
	],
)
def test_bucket(hours, expected):
	assert bucket(hours) == expected


@given(st.floats(0, 1e6))
def test_every_age_has_exactly_one_bucket(hours):
	assert bucket(hours) in BUCKET_LABELS


TRANSITIONS = [
	Transition("Draft", "Submit for Approval", "Sales User"),
	Transition("Pending Approval", "Approve", "Refund Approver"),
	Transition("Pending Approval", "Approve", "Refund Approver"),  # level 1 and level 2 rows
	Transition("Pending Approval", "Reject", "Refund Approver"),
	Transition("Pending Finance Approval", "Approve", "Refund Manager"),
	Transition("Pending Finance Approval", "Reject", "Refund Manager"),
	Transition("Pending Finance Approval", "Reject", "Accounts Manager"),
]


def test_acting_roles_read_from_the_transitions_out_of_the_state():
	assert acting_roles("Pending Approval", TRANSITIONS) == ["Refund Approver"]
	assert acting_roles("Pending Finance Approval", TRANSITIONS) == ["Refund Manager", "Accounts Manager"]
	assert acting_roles("Approved", TRANSITIONS) == []


def test_approvers_hold_a_role_and_are_not_the_requester():
	users = {"Refund Approver": ["b@x", "a@x"], "Refund Manager": ["a@x", "m@x"]}
	assert approvers(["Refund Approver"], users, requester="x@x") == ["a@x", "b@x"]
	assert approvers(["Refund Approver", "Refund Manager"], users, requester="a@x") == ["b@x", "m@x"]
	assert approvers(["Accounts Manager"], users, requester=None) == []


def test_counts_by_bucket_and_status():
	rows = [("0-24 h", "On Track"), ("0-24 h", "On Track"), ("> 72 h", "Breached"), (None, "Breached"), ("24-48 h", "Paused")]
	counts = counts_by_bucket(rows, ["On Track", "Breached"])
	assert counts["On Track"] == {"0-24 h": 2, "24-48 h": 0, "48-72 h": 0, "> 72 h": 0}
	assert counts["Breached"] == {"0-24 h": 0, "24-48 h": 0, "48-72 h": 0, "> 72 h": 1}
