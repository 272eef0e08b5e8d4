"""Response time (SLA) of a pending Refund Request, in calendar hours.

- Each approval level gets `response_hours` from the moment the request reaches it.
- Status: On Track until `due_soon_hours` before the due time, then Due Soon, Breached from the
  due time on (a request due at 10:00 is breached at 10:00).
- While a rejected request waits on the customer (until it is appealed) the clock stops: on
  appeal the due time moves on by exactly the time spent waiting, so the approver gets back the
  time that was left (or stays breached if none was).
"""

from datetime import datetime, timedelta

ON_TRACK = "On Track"
DUE_SOON = "Due Soon"
BREACHED = "Breached"
PAUSED = "Paused"  # rejected: waiting on the customer

DEFAULT_RESPONSE_HOURS = 24.0
DEFAULT_DUE_SOON_HOURS = 4.0


def due_by(start: datetime, response_hours: float) -> datetime:
	if response_hours <= 0:
		raise ValueError("response_hours must be greater than zero")
	return start + timedelta(hours=response_hours)


def status(due: datetime, now: datetime, due_soon_hours: float = DEFAULT_DUE_SOON_HOURS) -> str:
	if now >= due:
		return BREACHED
	if now >= due - timedelta(hours=max(due_soon_hours, 0.0)):
		return DUE_SOON
	return ON_TRACK


def resumed_due_by(due: datetime, paused_at: datetime, resumed_at: datetime) -> datetime:
	"""The due time after a pause: moved on by the time paused (never moved back)."""
	return due + max(resumed_at - paused_at, timedelta(0))
