"""The portal's pure parts: line choice, feedback, timeline (refund_manager.core.selection,
feedback, timeline). Plain Python, no site; expected values worked out by hand."""

import math
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from refund_manager.core import feedback, timeline
from refund_manager.core.problems import Problem
from refund_manager.core.selection import choose_lines, parse_qty

T0 = datetime(2026, 3, 2, 9, 0)


def at(minutes: int) -> datetime:
	return T0 + timedelta(minutes=minutes)


# ---------------------------------------------------------------- choose_lines


def test_chosen_lines_keep_the_order_of_the_order_and_skip_zero():
	refundable = {"L1": 2.0, "L2": 5.0, "L3": 1.0}
	chosen, problems = choose_lines({"L3": "1", "L1": 0, "L2": "2.5"}, refundable)
	assert problems == []
	assert list(chosen.items()) == [("L2", 2.5), ("L3", 1.0)]


def test_nothing_chosen_is_one_problem():
	assert choose_lines({"L1": "0", "L2": ""}, {"L1": 1.0, "L2": 1.0}) == ({}, [Problem("no_rows")])


def test_each_bad_line_is_named():
	refundable = {"L1": 2.0, "L2": 1.0}
	chosen, problems = choose_lines({"L1": "3", "L2": "-1", "X9": "1", "L3": "0"}, refundable)
	assert chosen == {}
	assert problems == [
		Problem("qty_over_refundable", values={"line": "L1", "qty": 3.0, "limit": 2.0}),
		Problem("qty_not_positive", values={"line": "L2", "qty": -1.0}),
		Problem("unknown_line", values={"line": "X9"}),
	]


def test_line_with_nothing_left_is_unknown_to_the_form():
	# a line absent from `refundable` has nothing left to refund (or is not on the order)
	assert choose_lines({"L1": 1}, {})[1] == [Problem("unknown_line", values={"line": "L1"})]


def test_not_a_number_is_refused_not_read_as_zero():
	for raw in ("abc", "nan", "inf", "-inf", True, [1], {"a": 1}):
		chosen, problems = choose_lines({"L1": raw}, {"L1": 5.0})
		assert chosen == {} and problems[0].code == "qty_not_a_number", raw


def test_parse_qty():
	assert parse_qty(" 2 ") == 2.0
	assert parse_qty("") == 0.0
	assert parse_qty(None) is None
	assert parse_qty("1e400") is None  # overflows to inf
	assert parse_qty(3) == 3.0


@given(
	st.dictionaries(st.sampled_from(["L1", "L2", "L3"]), st.floats(0, 50, allow_nan=False), min_size=1),
	st.dictionaries(
		st.sampled_from(["L1", "L2", "L3", "X"]),
		st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=5), st.integers(-10, 60)),
	),
)
def test_chosen_quantities_are_positive_finite_and_within_limits(refundable, requested):
	chosen, problems = choose_lines(requested, refundable)
	for line, qty in chosen.items():
		assert line in refundable and math.isfinite(qty) and 0 < qty <= refundable[line] + 1e-6
	assert chosen or problems  # never silently nothing


# ---------------------------------------------------------------- feedback


def test_stars_are_stored_as_a_fraction_of_five():
	assert [feedback.to_fraction(s) for s in (1, 3, 5)] == [0.2, 0.6, 1.0]
	assert [feedback.to_stars(v) for v in (0.2, 0.6, 1.0, None, 0)] == [1, 3, 5, 0, 0]


def test_only_whole_stars_from_one_to_five():
	assert [feedback.parse_stars(v) for v in ("1", 5, "3.0", " 4 ")] == [1, 5, 3, 4]
	assert [feedback.parse_stars(v) for v in ("0", 6, "2.5", "", "x", None, True)] == [None] * 7


def test_feedback_needs_a_refunded_request_not_yet_rated():
	assert feedback.check("4", "quick", "Refunded", already_rated=False) == (4, [])
	stars, problems = feedback.check("9", "x" * 2001, "Rejected", already_rated=True)
	assert stars is None
	assert [p.code for p in problems] == [
		"not_refunded",
		"already_rated",
		"rating_invalid",
		"comment_too_long",
	]


# ---------------------------------------------------------------- timeline


def kinds(events):
	return [(e.kind, e.moment) for e in events]


def test_a_request_approved_and_refunded_from_workflow_notes():
	events = timeline.build(
		at(0), "Refunded", state_changes=[(at(1), "Pending Approval"), (at(30), "Approved")]
	)
	# postings are made in the approval: without refunded_on, refunded at the approval's moment
	assert kinds(events) == [
		("raised", at(0)),
		("submitted", at(1)),
		("approved", at(30)),
		("refunded", at(30)),
	]


def test_versions_and_workflow_notes_of_one_change_are_shown_once():
	changes = [
		(at(1), "Pending Approval"),
		(at(1) + timedelta(milliseconds=5), "Pending Approval"),
		(at(9), "Rejected"),
	]
	assert [e.kind for e in timeline.build(at(0), "Rejected", changes)] == ["raised", "submitted", "rejected"]


def test_pending_again_after_a_rejection_is_an_appeal():
	changes = [
		(at(1), "Pending Approval"),
		(at(5), "Rejected"),
		(at(9), "Pending Approval"),
		(at(12), "Pending Finance Approval"),
	]
	events = timeline.build(
		at(0), "Pending Finance Approval", changes, comments=[(at(8), "the box was crushed")]
	)
	assert [(e.kind, e.text) for e in events] == [
		("raised", None),
		("submitted", None),
		("rejected", None),
		("comment", "the box was crushed"),
		("appealed", None),
		("finance_review", None),
	]


def test_timestamps_stand_in_for_changes_no_note_recorded():
	events = timeline.build(
		at(0),
		"Credited",
		requested_on=at(2),
		approved_on=at(20),
		refunded_on=at(21),
		feedback_on=None,
	)
	assert kinds(events) == [
		("raised", at(0)),
		("submitted", at(2)),
		("approved", at(20)),
		("credited", at(21)),
	]


def test_feedback_and_unknown_states():
	events = timeline.build(
		at(0),
		"Refunded",
		[(at(3), "Legal Review"), (at(4), "Approved")],
		refunded_on=at(5),
		feedback_on=at(60),
		feedback_stars=4,
	)
	assert [(e.kind, e.text) for e in events] == [
		("raised", None),
		("state", "Legal Review"),
		("approved", None),
		("refunded", None),
		("feedback", "4"),
	]


def test_next_step():
	assert timeline.next_step("Pending Finance Approval") == "decision"
	assert timeline.next_step("Rejected") == "appeal"
	assert timeline.next_step("Refunded") == "feedback"
	assert timeline.next_step("Refunded", rated=True) is None
	assert timeline.next_step("Cancelled") is None
