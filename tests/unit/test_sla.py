"""SLA of pending Refund Requests (refund_manager.core.sla): due time, status, pause on appeal.

Plain Python, no site needed.
"""

from datetime import datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from refund_manager.core.sla import (
	BREACHED,
	DUE_SOON,
	ON_TRACK,
	due_by,
	resumed_due_by,
	status,
)

T0 = datetime(2026, 3, 2, 9, 30)


def test_due_by_adds_the_response_hours():
	assert due_by(T0, 24) == datetime(2026, 3, 3, 9, 30)
	assert due_by(T0, 1.5) == datetime(2026, 3, 2, 11, 0)


@pytest.mark.parametrize("hours", [0, -1])
def test_due_by_needs_a_positive_response_time(hours):
	with pytest.raises(ValueError):
		due_by(T0, hours)


@pytest.mark.parametrize(
	"now, expected",
	[
		(T0, ON_TRACK),
		(T0 + timedelta(hours=19, minutes=59), ON_TRACK),
		(T0 + timedelta(hours=20), DUE_SOON),  # 4 hours before the due time
		(T0 + timedelta(hours=23, minutes=59, seconds=59), DUE_SOON),
		(T0 + timedelta(hours=24), BREACHED),  # due at 09:30 means breached at 09:30
		(T0 + timedelta(days=30), BREACHED),
	],
)
def test_status_over_a_24_hour_window(now, expected):
	assert status(due_by(T0, 24), now, due_soon_hours=4) == expected


def test_no_due_soon_window():
	due = due_by(T0, 24)
	assert status(due, due - timedelta(seconds=1), due_soon_hours=0) == ON_TRACK
	assert status(due, due, due_soon_hours=0) == BREACHED


def test_due_soon_window_longer_than_the_response_time_is_due_soon_at_once():
	assert status(due_by(T0, 2), T0, due_soon_hours=4) == DUE_SOON


def test_appeal_gives_back_the_time_spent_waiting_on_the_customer():
	due = due_by(T0, 24)  # due 3 March 09:30
	rejected = T0 + timedelta(hours=10)  # 14 hours were left
	appealed = rejected + timedelta(days=5)
	new_due = resumed_due_by(due, rejected, appealed)
	assert new_due == appealed + timedelta(hours=14)
	assert status(new_due, appealed, 4) == ON_TRACK


def test_breached_before_the_pause_stays_breached_after_it():
	due = due_by(T0, 24)
	rejected = T0 + timedelta(hours=30)
	appealed = rejected + timedelta(hours=2)
	assert status(resumed_due_by(due, rejected, appealed), appealed, 4) == BREACHED


def test_resume_never_moves_the_due_time_back():
	due = due_by(T0, 24)
	assert resumed_due_by(due, T0 + timedelta(hours=5), T0) == due


moments = st.datetimes(min_value=datetime(2020, 1, 1), max_value=datetime(2030, 1, 1))
hours = st.floats(min_value=0.01, max_value=1000, allow_nan=False)


@settings(deadline=None)
@given(moments, hours, st.floats(min_value=0, max_value=48), st.timedeltas(timedelta(0), timedelta(days=400)))
def test_status_only_gets_worse_as_time_passes(start, response, due_soon, elapsed):
	due = due_by(start, response)
	order = [ON_TRACK, DUE_SOON, BREACHED]
	earlier = status(due, start + elapsed, due_soon)
	later = status(due, start + elapsed + timedelta(hours=1), due_soon)
	assert order.index(later) >= order.index(earlier)


@settings(deadline=None)
@given(moments, hours, st.timedeltas(timedelta(0), timedelta(days=10)), st.timedeltas(timedelta(0), timedelta(days=60)))
def test_time_left_at_appeal_equals_time_left_at_rejection(start, response, before_reject, waiting):
	due = due_by(start, response)
	rejected = start + before_reject
	appealed = rejected + waiting
	assert resumed_due_by(due, rejected, appealed) - appealed == due - rejected
