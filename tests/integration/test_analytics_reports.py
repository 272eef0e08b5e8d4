"""Refund Analytics, Refund SLA Aging and the SLA number cards against hand-computed figures.

The data set (item groups A and B under a parent P made for the test; rate 100, tax 10 %; every
order delivered and invoiced, paid unless said otherwise; T0 is the frozen clock):

| request | customer | order (sales)         | refunded                  | reason        | milestones                              |
|---------|----------|-----------------------|---------------------------|---------------|-----------------------------------------|
| R1      | C1       | a x2 (220)            | a x1: 110, Refunded       | Wrong Item    | T0 -> approved and refunded T0+4, 4 stars |
| R2      | C1       | b x1 (110), unpaid    | b x1: 110, Credited       | Wrong Item    | T0 -> approved T0+10, 2 stars           |
| R3      | C2       | a x1 (110)            | rejected                  | Changed Mind  | T0 -> rejected T0+2                     |
| R4      | C2       | b x1 (110)            | pending, breached         | Changed Mind  | T0, escalated at T0+30                  |
| R5      | C3       | a x1 + b x3 (440)     | all, 440 - fee 40 = 400   | Wrong Item    | T0+1 -> approved and refunded T0+21     |
| R6      | C3       | a x1 (110)            | draft: not counted        | Changed Mind  |                                         |
| R7      | C1       | a x1 (110)            | refunded, then cancelled  | Late Delivery | T0 -> approved T0+6, cancelled T0+7     |
| R8      | C3       | b x1 (110)            | pending, on track         | Changed Mind  | T0+20                                   |

Sales 1320 (a 660, b 660; C1 440, C2 220, C3 660). R5's 400 is shared pro rata to its lines
(110 : 330): 100 to a / A, 300 to b / B.
"""

from datetime import timedelta

import frappe
import pytest
from frappe.desk.doctype.notification_settings.notification_settings import create_notification_settings
from frappe.utils import getdate, nowdate

from refund_manager.approval import escalate_breached_requests
from tests.integration import factories as f
from tests.integration.test_approval_sla import T0, at, hours

pytestmark = pytest.mark.usefixtures("company")


def item_group(name: str, parent: str, is_group: int = 0) -> str:
	frappe.get_doc(
		{"doctype": "Item Group", "item_group_name": name, "parent_item_group": parent, "is_group": is_group}
	).insert()
	return name


def order(customer: str, lines: list[tuple[str, float]], pay: bool = True):
	so = f.make_sales_order(customer, [(item, qty, 100.0) for item, qty in lines])
	f.deliver(so.name)
	si = f.bill(so.name)
	if pay:
		f.pay("Sales Invoice", si.name)
	return so


def request(so, reason: str, qty: dict[str, float] | None = None, fee: float = 0.0):
	doc = f.refund_request_for(so.name, reason=reason)
	for d in doc.items:
		d.qty = (qty or {}).get(d.item_code, d.qty)
	if fee:
		doc.append("deductions", {"description": "Fee", "account": f"Miscellaneous Expenses - {f.ABBR}", "amount": fee})
	doc.insert()
	return doc


def submit_at(moment, doc):
	return at(moment, f.act, doc, "Submit for Approval")


def rate(doc, stars: int):
	doc.db_set("feedback_rating", stars / 5)  # Frappe's Rating field holds a fraction


def this_month() -> str:
	return getdate(nowdate()).strftime("%Y-%m")


def escalation_user() -> str:
	"""The only user of a role made for the test, the escalation role; no assignment e-mail."""
	role = f.unique("RM Escalation")
	frappe.get_doc({"doctype": "Role", "role_name": role, "desk_access": 1}).insert()
	user = f.make_user(role)
	create_notification_settings(user)
	frappe.db.set_value("Notification Settings", user, "enable_email_assignment", 0)
	f.set_approval_rules(response_hours=24, due_soon_hours=4, escalation_role=role)
	return user


@pytest.fixture
def data_set():
	parent = item_group(f.unique("RM Analytics"), "All Item Groups", is_group=1)
	group_a = item_group(f.unique("RM Group A"), parent)
	group_b = item_group(f.unique("RM Group B"), parent)
	a, b = f.make_item(item_group=group_a), f.make_item(item_group=group_b)
	c1, c2, c3 = f.make_customer(), f.make_customer(), f.make_customer()
	escalated_to = escalation_user()
	approver = f.make_user("Refund Approver")

	r1 = request(order(c1, [(a, 2)]), "Wrong Item", {a: 1})
	r2 = request(order(c1, [(b, 1)], pay=False), "Wrong Item")
	r3 = request(order(c2, [(a, 1)]), "Changed Mind")
	r4 = request(order(c2, [(b, 1)]), "Changed Mind")
	r5 = request(order(c3, [(a, 1), (b, 3)]), "Wrong Item", fee=40)
	r6 = request(order(c3, [(a, 1)]), "Changed Mind")
	r7 = request(order(c1, [(a, 1)]), "Late Delivery")
	r8 = request(order(c3, [(b, 1)]), "Changed Mind")

	for doc in (r1, r2, r3, r4, r7):
		submit_at(T0, doc)
	submit_at(hours(1), r5)
	submit_at(hours(20), r8)
	frappe.set_user("Administrator")
	with f.frozen_at(hours(2)):
		f.reject(r3, "Not eligible")
	at(hours(4), f.act, r1, "Approve")
	at(hours(6), f.act, r7, "Approve")
	at(hours(7), f.cancel, r7)
	at(hours(10), f.act, r2, "Approve")
	at(hours(21), f.act, r5, "Approve")
	at(hours(30), escalate_breached_requests)
	rate(r1, 4)
	rate(r2, 2)
	docs = {f"R{i}": doc.reload() or doc for i, doc in enumerate((r1, r2, r3, r4, r5, r6, r7, r8), start=1)}
	assert [docs[n].status for n in sorted(docs)] == [
		"Refunded",
		"Credited",
		"Rejected",
		"Pending Approval",
		"Refunded",
		"Draft",
		"Cancelled",
		"Pending Approval",
	]
	assert (docs["R4"].sla_status, docs["R5"].base_refund_amount) == ("Breached", 400)
	return frappe._dict(
		docs=docs,
		parent=parent,
		group_a=group_a,
		group_b=group_b,
		a=a,
		b=b,
		c1=c1,
		c2=c2,
		c3=c3,
		escalated_to=escalated_to,
		approver=approver,
	)


def analytics(ds, group_by, **filters):
	from refund_manager.refund_manager.report.refund_analytics.refund_analytics import execute

	columns, data, message, chart, summary = execute(
		{
			"company": f.COMPANY,
			"from_date": nowdate(),
			"to_date": nowdate(),
			"item_group": ds.parent,
			"group_by": group_by,
			**filters,
		}
	)
	*rows, total = data
	assert total["group"] == "Total" and "Share of sales" in message
	return rows, total, chart, summary


FIGURES = (
	"count",
	"refunded_amount",
	"sales",
	"share_of_sales",
	"approved",
	"rejected",
	"approval_rate",
	"avg_hours_to_approve",
	"p90_hours_to_approve",
	"avg_hours_to_refund",
	"p90_hours_to_refund",
	"avg_rating",
	"rated",
)


def figures(row) -> tuple:
	return tuple(None if row[k] is None else round(row[k], 2) for k in FIGURES)


def test_refund_analytics_by_reason_item_group_item_customer_and_month(data_set):
	ds = data_set
	rows, total, chart, summary = analytics(ds, "Reason")
	#                                  count refunded sales  share%  appr rej rate%  avg    p90   avg   p90   stars rated
	assert [(r["group"], figures(r)) for r in rows] == [
		("Wrong Item", (3, 620.0, 1320.0, 46.97, 3, 0, 100.0, 11.33, 18.0, 12.0, 18.4, 3.0, 2)),
		("Changed Mind", (3, 0.0, 1320.0, 0.0, 0, 1, 0.0, None, None, None, None, None, 0)),
		("Late Delivery", (1, 0.0, 1320.0, 0.0, 1, 0, 100.0, 6.0, 6.0, 6.0, 6.0, None, 0)),
	]
	assert figures(total) == (7, 620.0, 1320.0, 46.97, 4, 1, 80.0, 10.0, 17.0, 10.0, 17.2, 3.0, 2)
	assert chart["data"]["labels"] == ["Wrong Item", "Changed Mind", "Late Delivery"]
	assert chart["data"]["datasets"][0]["values"] == [620.0, 0.0, 0.0]
	assert {s["label"]: s["value"] for s in summary}["Approval Rate"] == 80.0

	rows, total, _chart, _summary = analytics(ds, "Item Group")
	assert [(r["group"], figures(r)) for r in rows] == [
		(ds.group_b, (4, 410.0, 660.0, 62.12, 2, 0, 100.0, 15.0, 19.0, 20.0, 20.0, 2.0, 1)),
		(ds.group_a, (4, 210.0, 660.0, 31.82, 3, 1, 75.0, 10.0, 17.2, 10.0, 17.2, 4.0, 1)),
	]
	assert figures(total) == (7, 620.0, 1320.0, 46.97, 4, 1, 80.0, 10.0, 17.0, 10.0, 17.2, 3.0, 2)

	rows, _total, _chart, _summary = analytics(ds, "Item")
	assert [(r["group"], r["count"], r["refunded_amount"], r["sales"]) for r in rows] == [
		(ds.b, 4, 410.0, 660.0),
		(ds.a, 4, 210.0, 660.0),
	]

	rows, _total, _chart, _summary = analytics(ds, "Customer")
	assert [(r["group"], r["count"], r["refunded_amount"], r["sales"], r["share_of_sales"], r["approval_rate"]) for r in rows] == [
		(ds.c3, 2, 400.0, 660.0, 60.61, 100.0),
		(ds.c1, 3, 220.0, 440.0, 50.0, 100.0),
		(ds.c2, 2, 0.0, 220.0, 0.0, 0.0),
	]

	rows, total, chart, _summary = analytics(ds, "Month")
	assert [(r["group"], r["count"], r["refunded_amount"], r["sales"]) for r in rows] == [
		(this_month(), 7, 620.0, 1320.0)
	]
	assert chart["data"]["labels"] == [this_month()]


def test_refund_analytics_filters(data_set):
	ds = data_set
	# item group A only: R5 shows its A line (100 of 400), the totals what the group shows
	rows, total, _chart, _summary = analytics(ds, "Item Group", item_group=ds.group_a)
	assert [(r["group"], figures(r)) for r in rows] == [
		(ds.group_a, (4, 210.0, 660.0, 31.82, 3, 1, 75.0, 10.0, 17.2, 10.0, 17.2, 4.0, 1)),
	]
	assert (total["count"], total["refunded_amount"], total["sales"]) == (4, 210.0, 660.0)

	rows, total, _chart, _summary = analytics(ds, "Reason", customer=ds.c1)
	assert [(r["group"], r["count"], r["refunded_amount"], r["sales"], r["share_of_sales"]) for r in rows] == [
		("Wrong Item", 2, 220.0, 440.0, 50.0),
		("Late Delivery", 1, 0.0, 440.0, 0.0),
	]

	rows, total, _chart, _summary = analytics(ds, "Customer", refund_reason="Changed Mind")
	assert [(r["group"], r["count"], r["rejected"], r["sales"]) for r in rows] == [
		(ds.c2, 2, 1, 220.0),  # nothing refunded in either: more requests first
		(ds.c3, 1, 0, 660.0),
	]

	yesterday = str(getdate(nowdate()) - timedelta(days=1))
	from refund_manager.refund_manager.report.refund_analytics.refund_analytics import execute

	_columns, data, *_rest = execute(
		{"company": f.COMPANY, "from_date": yesterday, "to_date": yesterday, "item_group": ds.parent, "group_by": "Reason"}
	)
	assert data == []


def test_sla_aging_and_the_sla_number_cards(data_set):
	from frappe.desk.doctype.number_card.number_card import get_result

	from refund_manager.dashboard import average_hours_to_approve
	from refund_manager.refund_manager.report.refund_sla_aging.refund_sla_aging import execute

	ds = data_set
	filters = {"company": f.COMPANY, "item_group": ds.parent}
	with f.frozen_at(hours(30)):
		_columns, data, _message, chart, summary = execute(filters)
	r4, r8 = ds.docs["R4"].name, ds.docs["R8"].name
	assert [d["refund_request"] for d in data] == [r4, r8]  # oldest first
	rows = {d["refund_request"]: d for d in data}
	assert (rows[r4]["age_hours"], rows[r4]["age_bucket"], rows[r4]["sla_status"]) == (30.0, "24-48 h", "Breached")
	assert (rows[r4]["current_approver"], rows[r4]["assigned"]) == (ds.escalated_to, 1)
	assert (rows[r8]["age_hours"], rows[r8]["age_bucket"], rows[r8]["sla_status"]) == (10.0, "0-24 h", "On Track")
	assert rows[r8]["approver_role"] == "Refund Approver" and rows[r8]["assigned"] == 0
	assert ds.approver in rows[r8]["current_approver"] and "Administrator" not in rows[r8]["current_approver"]
	datasets = {d["name"]: d["values"] for d in chart["data"]["datasets"]}
	assert chart["data"]["labels"] == ["0-24 h", "24-48 h", "48-72 h", "> 72 h"]
	assert datasets == {"On Track": [1, 0, 0, 0], "Due Soon": [0, 0, 0, 0], "Breached": [0, 1, 0, 0]}
	assert {s["label"]: s["value"] for s in summary} == {
		"Open Requests": 2,
		"Breached": 1,
		"Older than 72 h": 0,
		"Assigned": 1,
	}

	with f.frozen_at(hours(80)):  # the buckets move on with the clock; R8 was due at T0+44
		_columns, data, *_rest = execute(filters)
	assert [(d["age_bucket"], d["sla_status"]) for d in data] == [("> 72 h", "Breached"), ("48-72 h", "Breached")]

	_columns, data, *_rest = execute({**filters, "customer": ds.c3})
	assert [d["refund_request"] for d in data] == [r8]

	card = frappe.get_doc("Number Card", "Breached SLA")
	card_filters = [
		*frappe.parse_json(card.filters_json),
		["Refund Request", "company", "=", f.COMPANY],
		["Refund Request", "customer", "in", [ds.c1, ds.c2, ds.c3]],
	]
	assert get_result(card.as_dict(), frappe.as_json(card_filters)) == 1

	card = frappe.get_doc("Number Card", "Average Hours to Approve")
	assert (card.type, card.method) == ("Custom", "refund_manager.dashboard.average_hours_to_approve")
	with f.frozen_at(hours(30)):
		result = average_hours_to_approve(frappe.as_json([["Refund Request", "company", "=", f.COMPANY]]))
	assert result["value"] == 10.0  # R1 4 h, R2 10 h, R5 20 h, R7 6 h
	with f.frozen_at(hours(30) + timedelta(days=31)):  # a 30-day window
		assert average_hours_to_approve({"company": f.COMPANY})["value"] == 0

	workspace = frappe.get_doc("Workspace", "Refunds")
	assert {c.number_card_name for c in workspace.number_cards} >= {"Breached SLA", "Average Hours to Approve"}
	assert {s.link_to for s in workspace.shortcuts} >= {"Refund Analytics", "Refund SLA Aging", "Refund Settings"}
