"""The status timeline a customer sees on a Refund Request's portal page (pure).

Built from what the site records about a request:
- its workflow state changes: the workflow's own notes ("Workflow" comments, one per action) and
  the request's Version rows (`workflow_state` changes); both may record the same change, so a
  state repeated right after itself is shown once;
- its timestamps (`requested_on`, `approved_on`, `rejected_on`, `refunded_on`, `feedback_on`),
  which stand in for a change no note recorded;
- the customer's own comments.
Each event is a kind (below) and a moment; the portal turns kinds into translated labels.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

RAISED = "raised"
SUBMITTED = "submitted"
APPEALED = "appealed"
FINANCE_REVIEW = "finance_review"
APPROVED = "approved"
REJECTED = "rejected"
REFUNDED = "refunded"
CREDITED = "credited"
CANCELLED = "cancelled"
COMMENT = "comment"
FEEDBACK = "feedback"
OTHER_STATE = "state"  # a state an administrator added to the workflow

KIND_OF_STATE = {
	"Pending Approval": SUBMITTED,
	"Pending Finance Approval": FINANCE_REVIEW,
	"Approved": APPROVED,
	"Rejected": REJECTED,
	"Cancelled": CANCELLED,
}
PAID_OUT = {"Refunded": REFUNDED, "Credited": CREDITED}

# what the customer waits for, by status
NEXT_STEP = {
	"Draft": "submit",
	"Pending Approval": "decision",
	"Pending Finance Approval": "decision",
	"Rejected": "appeal",
	"Approved": "payment",
}


@dataclass(frozen=True)
class Event:
	moment: datetime
	kind: str
	text: str | None = None  # the state of OTHER_STATE, a comment, the stars of FEEDBACK


def build(
	created: datetime,
	status: str,
	state_changes: Iterable[tuple[datetime, str]] = (),
	comments: Iterable[tuple[datetime, str]] = (),
	requested_on: datetime | None = None,
	approved_on: datetime | None = None,
	rejected_on: datetime | None = None,
	refunded_on: datetime | None = None,
	feedback_on: datetime | None = None,
	feedback_stars: int | None = None,
) -> list[Event]:
	"""Every event of the request, oldest first."""
	events = [Event(created, RAISED)]
	events += state_events(state_changes)
	kinds = {e.kind for e in events}
	if requested_on and not kinds & {SUBMITTED, APPROVED}:
		events.append(Event(requested_on, SUBMITTED))
	if approved_on and APPROVED not in kinds:
		events.append(Event(approved_on, APPROVED))
	if rejected_on and REJECTED not in kinds:
		events.append(Event(rejected_on, REJECTED))
	if status in PAID_OUT:
		# the postings are made in the approval itself: without a timestamp, that moment
		moment = refunded_on or approved_on or last_moment(events, APPROVED)
		if moment:
			events.append(Event(moment, PAID_OUT[status]))
	events += [Event(moment, COMMENT, text) for moment, text in comments]
	if feedback_on:
		events.append(Event(feedback_on, FEEDBACK, str(feedback_stars or "")))
	return sorted(events, key=lambda e: e.moment)  # stable: ties keep the order built above


def state_events(state_changes: Iterable[tuple[datetime, str]]) -> list[Event]:
	"""One event per change of state; a Pending Approval reached from Rejected is an appeal."""
	events: list[Event] = []
	previous = None
	for moment, state in sorted(state_changes, key=lambda change: change[0]):
		if not state or state == previous or state == "Draft":
			previous = state or previous
			continue
		kind = KIND_OF_STATE.get(state, OTHER_STATE)
		if kind == SUBMITTED and previous == "Rejected":
			kind = APPEALED
		events.append(Event(moment, kind, state if kind == OTHER_STATE else None))
		previous = state
	return events


def last_moment(events: list[Event], kind: str) -> datetime | None:
	moments = [e.moment for e in events if e.kind == kind]
	return max(moments) if moments else None


def next_step(status: str, rated: bool = False) -> str | None:
	"""What happens next: submit, decision, appeal, payment, feedback, or None when done."""
	if status == "Refunded" and not rated:
		return "feedback"
	return NEXT_STEP.get(status)
