"""Demo data: a company selling gadgets, its customers, stock and orders, and refunds in every state.

    bench --site SITE execute refund_manager.demo.make_demo
    bench --site SITE execute refund_manager.demo.make_demo --kwargs "{'scale': 3}"

Idempotent: masters are created when missing, each refund scenario once (recognised by its
description); running it again adds nothing. On a fresh site whose setup wizard has not run, it
completes the wizard first with the demo company (United States, USD).

Everything is made through the app and ERPNext (orders, deliveries, invoices, payments, the
approval workflow acted by three demo users, the postings approval makes). Only what the clock
cannot give in one run is back-dated afterwards: each request's milestones (requested, approved,
refunded hours apart, so the reports show real durations), the response time of the breached one,
and the customers' ratings, which the customer portal would collect.

The generators (`ensure_company`, `ensure_customers`, `ensure_items`, `make_order`,
`raise_request`, `drive`, `insert_refund_requests`) are for benchmarks too: `insert_refund_requests`
writes many requests at once by direct inserts (see its docstring for what it does not make).
"""

import random
from dataclasses import dataclass, field
from datetime import timedelta

import frappe
from frappe.model.workflow import apply_workflow
from frappe.utils import add_days, flt, getdate, now_datetime, nowdate

from refund_manager import approval

DEMO_MARK = "Demo scenario: "


@dataclass(frozen=True)
class DemoCompany:
	name: str = "Refund Demo Gadgets"
	abbr: str = "RDG"
	currency: str = "USD"
	country: str = "United States"
	time_zone: str = "America/New_York"
	tax_rate: float = 8.0

	def account(self, name: str) -> str:
		return f"{name} - {self.abbr}"

	@property
	def tax_account(self) -> str:
		return self.account("Demo Sales Tax")

	@property
	def stores(self) -> str:
		return self.account("Stores")

	@property
	def returns(self) -> str:
		return self.account("Demo Returns")

	@property
	def sales_returns_account(self) -> str:
		return self.account("Demo Sales Returns")

	@property
	def cash(self) -> str:
		return self.account("Cash")

	@property
	def fee_account(self) -> str:
		return self.account("Miscellaneous Expenses")


CUSTOMER_GROUP = "Demo Customers"
TERRITORY = "Demo Territory"
CUSTOMERS = (
	"Northwind Retail",
	"Blue Harbor Stores",
	"Cedar & Co",
	"Lumen Electronics",
	"Parkside Outlet",
	"Quayside Gadgets",
)
# item code, name, item group, price, valuation rate
ITEMS = (
	("DEMO-HEADSET", "Wireless Headset", "Demo Audio", 80.0, 45.0),
	("DEMO-SPEAKER", "Bluetooth Speaker", "Demo Audio", 120.0, 70.0),
	("DEMO-CHARGER", "USB-C Charger", "Demo Accessories", 25.0, 11.0),
	("DEMO-CABLE", "Braided Cable", "Demo Accessories", 9.0, 3.0),
	("DEMO-WATCH", "Smart Watch", "Demo Wearables", 250.0, 150.0),
	("DEMO-BAND", "Fitness Band", "Demo Wearables", 60.0, 30.0),
)
USERS = {
	"sales": ("demo.sales@example.com", "Demo Sales", ("Sales User",)),
	"approver": ("demo.approver@example.com", "Demo Approver", ("Refund Approver",)),
	"manager": ("demo.manager@example.com", "Demo Finance", ("Refund Manager", "Refund Approver")),
}
TWO_LEVELS_FROM = 500.0  # demo rules, for the demo company only
AUTO_APPROVE_BELOW = 20.0


@dataclass(frozen=True)
class Scenario:
	"""One refund of the demo: an order, what is refunded, and where the request ends."""

	key: str
	customer: int  # index into CUSTOMERS
	lines: tuple[tuple[str, float], ...]  # (item code, qty ordered)
	target: str  # draft, pending, breached, finance, rejected, approved, cancelled
	refund_qty: dict[str, float] = field(default_factory=dict)  # default: everything
	reason: str = "Wrong Item"
	paid: bool = True
	fee: float = 0.0
	adjustment_per_unit: float = 0.0  # a price adjustment instead of a return
	requested_hours_ago: float = 2.0
	hours_to_decide: float = 0.0
	stars: int = 0
	evidence: bool = False  # attach a document (reasons that require evidence)


SCENARIOS = (
	Scenario("draft", 0, (("DEMO-HEADSET", 2),), "draft", {"DEMO-HEADSET": 1}, reason="Changed Mind"),
	Scenario("pending", 1, (("DEMO-SPEAKER", 1),), "pending", reason="Not as Described", evidence=True, requested_hours_ago=3),
	Scenario("pending, past its response time", 2, (("DEMO-BAND", 2),), "breached", reason="Late Delivery", requested_hours_ago=30),
	Scenario("pending finance approval", 3, (("DEMO-WATCH", 3),), "finance", reason="Damaged", evidence=True, requested_hours_ago=20, hours_to_decide=6),
	Scenario("rejected", 4, (("DEMO-HEADSET", 1),), "rejected", reason="Changed Mind", requested_hours_ago=50, hours_to_decide=5),
	Scenario("credited (invoice not paid)", 5, (("DEMO-SPEAKER", 2),), "approved", {"DEMO-SPEAKER": 1}, reason="Not as Described", evidence=True, paid=False, requested_hours_ago=70, hours_to_decide=9),
	Scenario("refunded with a restocking fee", 0, (("DEMO-WATCH", 1), ("DEMO-CHARGER", 2)), "approved", reason="Changed Mind", fee=15, requested_hours_ago=120, hours_to_decide=4, stars=4),
	Scenario("refunded, wrong item", 1, (("DEMO-CABLE", 4), ("DEMO-BAND", 1)), "approved", {"DEMO-CABLE": 4}, requested_hours_ago=96, hours_to_decide=2, stars=5),
	Scenario("refunded, damaged (report attached)", 2, (("DEMO-HEADSET", 3),), "approved", {"DEMO-HEADSET": 2}, reason="Damaged", evidence=True, requested_hours_ago=200, hours_to_decide=30, stars=2),
	Scenario("approved automatically (small amount)", 3, (("DEMO-CABLE", 2),), "approved", {"DEMO-CABLE": 1}, requested_hours_ago=48),
	Scenario("price adjustment", 4, (("DEMO-SPEAKER", 2),), "approved", reason="Price Adjustment", adjustment_per_unit=20, requested_hours_ago=150, hours_to_decide=12, stars=5),
	Scenario("cancelled after approval", 5, (("DEMO-CHARGER", 3),), "cancelled", requested_hours_ago=240, hours_to_decide=8),
)


# ------------------------------------------------------------------ entry point


def make_demo(scale: int = 1, company: DemoCompany | None = None, commit: bool = True) -> dict[str, int]:
	"""Fill the site with the demo; `scale` repeats the refund scenarios (customers rotate).

	Returns the number of demo Refund Requests per status.
	"""
	company = company or DemoCompany()
	frappe.set_user("Administrator")
	ensure_setup(company)
	ensure_company(company)
	ensure_refund_setup(company)
	customers = ensure_customers(company)
	items = ensure_items(company)
	users = ensure_users()
	for round_no in range(max(int(scale), 1)):
		for scenario in SCENARIOS:
			key = scenario.key if round_no == 0 else f"{scenario.key} #{round_no + 1}"
			if not demo_request(company, key):
				make_scenario(company, scenario, key, customers[(scenario.customer + round_no) % len(customers)], items, users)
				if commit:
					frappe.db.commit()
	frappe.set_user("Administrator")
	counts = demo_counts(company)
	if commit:
		frappe.db.commit()
		print(f"Refund demo in company {company.name}: " + ", ".join(f"{n} {s}" for s, n in counts.items()))
	return counts


def demo_request(company: DemoCompany, key: str) -> str | None:
	return frappe.db.get_value("Refund Request", {"company": company.name, "description": DEMO_MARK + key}, "name")


def demo_counts(company: DemoCompany) -> dict[str, int]:
	rr = frappe.qb.DocType("Refund Request")
	rows = (
		frappe.qb.from_(rr)
		.select(rr.status, frappe.query_builder.functions.Count(rr.name))
		.where((rr.company == company.name) & rr.description.like(DEMO_MARK + "%"))
		.groupby(rr.status)
		.orderby(rr.status)
	).run()
	return dict(rows)


# ------------------------------------------------------------------ site and company


def ensure_setup(company: DemoCompany):
	"""A fresh site: complete the setup wizard (fixtures, fiscal year, the demo company)."""
	if frappe.is_setup_complete():
		return
	from frappe.desk.page.setup_wizard.setup_wizard import setup_complete

	year = getdate().year
	setup_complete(
		{
			"language": "English",
			"country": company.country,
			"timezone": company.time_zone,
			"currency": company.currency,
			"company_name": company.name,
			"company_abbr": company.abbr,
			"chart_of_accounts": "Standard",
			"fy_start_date": f"{year}-01-01",
			"fy_end_date": f"{year}-12-31",
			"full_name": "Administrator",
		}
	)
	if not frappe.is_setup_complete():
		frappe.throw(f"The setup wizard did not complete on {frappe.local.site}: see the Error Log.")


def ensure(doctype: str, name: str, values: dict) -> str:
	"""Create `name` when missing (masters are shared by every run)."""
	if not frappe.db.exists(doctype, name):
		frappe.get_doc({"doctype": doctype, **values}).insert(ignore_permissions=True)
	return name


def ensure_fiscal_year(year: int):
	"""A calendar fiscal year, unless a fiscal year already covers today."""
	start, end, today = getdate(f"{year}-01-01"), getdate(f"{year}-12-31"), getdate()
	fy = frappe.qb.DocType("Fiscal Year")
	covered = (
		frappe.qb.from_(fy)
		.select(fy.name)
		.where((fy.year_start_date <= today) & (fy.year_end_date >= today) & (fy.disabled == 0))
		.run()
	)
	if not covered and not frappe.db.exists("Fiscal Year", str(year)):
		frappe.get_doc({"doctype": "Fiscal Year", "year": str(year), "year_start_date": start, "year_end_date": end}).insert(
			ignore_permissions=True
		)


def ensure_company(company: DemoCompany) -> str:
	ensure_fiscal_year(getdate().year)
	ensure(
		"Company",
		company.name,
		{
			"company_name": company.name,
			"abbr": company.abbr,
			"default_currency": company.currency,
			"country": company.country,
			"create_chart_of_accounts_based_on": "Standard Template",
			"chart_of_accounts": "Standard",
		},
	)
	ensure(
		"Account",
		company.tax_account,
		{
			"account_name": "Demo Sales Tax",
			"company": company.name,
			"parent_account": company.account("Duties and Taxes"),
			"account_type": "Tax",
			"tax_rate": company.tax_rate,
		},
	)
	ensure(
		"Account",
		company.sales_returns_account,
		{"account_name": "Demo Sales Returns", "company": company.name, "parent_account": company.account("Direct Income")},
	)
	ensure(
		"Warehouse",
		company.returns,
		{"warehouse_name": "Demo Returns", "company": company.name, "parent_warehouse": company.account("All Warehouses")},
	)
	return company.name


def ensure_refund_setup(company: DemoCompany):
	"""Cash for refunds, the return warehouse and refund account, and two demo approval rules."""
	mode = frappe.get_doc("Mode of Payment", "Cash")
	if not any(row.company == company.name for row in mode.accounts):
		mode.append("accounts", {"company": company.name, "default_account": company.cash})
		mode.save(ignore_permissions=True)

	settings = frappe.get_single("Refund Settings")
	settings.default_mode_of_payment = settings.default_mode_of_payment or "Cash"
	row = settings.for_company(company.name) or settings.append("company_settings", {"company": company.name})
	row.return_warehouse = row.return_warehouse or company.returns
	row.refund_account = row.refund_account or company.sales_returns_account
	row.restocking_fee_account = row.restocking_fee_account or company.fee_account
	rules = {r.rule_name for r in settings.approval_rules}
	for name, outcome, from_amount, to_amount in (
		(f"Demo {company.abbr}: small refunds", "Auto Approve", 0.0, AUTO_APPROVE_BELOW),
		(f"Demo {company.abbr}: large refunds", "Two Levels", TWO_LEVELS_FROM, 0.0),
	):
		if name not in rules:
			settings.append(
				"approval_rules",
				{
					"rule_name": name,
					"enabled": 1,
					"priority": 0,
					"outcome": outcome,
					"match_company": company.name,
					"from_amount": from_amount,
					"to_amount": to_amount,
				},
			)
	settings.flags.ignore_permissions = True
	settings.save()


def ensure_customers(company: DemoCompany, names=CUSTOMERS) -> list[str]:
	ensure(
		"Customer Group",
		CUSTOMER_GROUP,
		{"customer_group_name": CUSTOMER_GROUP, "parent_customer_group": root_of("Customer Group")},
	)
	ensure("Territory", TERRITORY, {"territory_name": TERRITORY, "parent_territory": root_of("Territory")})
	customers = []
	for name in names:
		existing = frappe.db.get_value("Customer", {"customer_name": name}, "name")
		customers.append(
			existing
			or frappe.get_doc(
				{
					"doctype": "Customer",
					"customer_name": name,
					"customer_group": CUSTOMER_GROUP,
					"territory": TERRITORY,
					"default_currency": company.currency,
				}
			)
			.insert(ignore_permissions=True)
			.name
		)
	return customers


def root_of(doctype: str) -> str:
	from frappe.utils.nestedset import get_root_of

	return get_root_of(doctype)


def ensure_items(company: DemoCompany, items=ITEMS, stock_qty: float = 200) -> dict[str, float]:
	"""Stock items with a default warehouse in the company and at least half of `stock_qty` in
	stock there; returns the selling price per item code."""
	from erpnext.stock.doctype.stock_entry.stock_entry_utils import make_stock_entry

	prices = {}
	for code, item_name, item_group, price, valuation in items:
		ensure("Item Group", item_group, {"item_group_name": item_group, "parent_item_group": root_of("Item Group")})
		ensure(
			"Item",
			code,
			{
				"item_code": code,
				"item_name": item_name,
				"item_group": item_group,
				"stock_uom": "Nos",
				"is_stock_item": 1,
				"valuation_rate": valuation,
				"standard_rate": price,
			},
		)
		item = frappe.get_doc("Item", code)
		if not any(d.company == company.name for d in item.item_defaults):
			item.append("item_defaults", {"company": company.name, "default_warehouse": company.stores})
			item.save(ignore_permissions=True)
		in_stock = flt(frappe.db.get_value("Bin", {"item_code": code, "warehouse": company.stores}, "actual_qty"))
		if in_stock < stock_qty / 2:
			make_stock_entry(item_code=code, qty=stock_qty - in_stock, to_warehouse=company.stores, rate=valuation, company=company.name)
		prices[code] = price
	return prices


def ensure_users(users=USERS) -> dict[str, str]:
	"""Demo users by part (sales, approver, manager): no password, no welcome e-mail, no
	assignment e-mails (their addresses are not real)."""
	from frappe.desk.doctype.notification_settings.notification_settings import create_notification_settings

	out = {}
	for part, (email, first_name, roles) in users.items():
		if not frappe.db.exists("User", email):
			user = frappe.get_doc(
				{"doctype": "User", "email": email, "first_name": first_name, "send_welcome_email": 0, "user_type": "System User"}
			)
			for role in roles:
				user.append("roles", {"role": role})
			user.insert(ignore_permissions=True)
			create_notification_settings(email)
			frappe.db.set_value("Notification Settings", email, "enable_email_assignment", 0)
		out[part] = email
	return out


# ------------------------------------------------------------------ orders and refunds


def make_order(
	company: DemoCompany,
	customer: str,
	lines: list[tuple[str, float, float]],
	deliver: bool = True,
	bill: bool = True,
	pay: bool = True,
):
	"""A submitted Sales Order (item, qty, rate) with the demo sales tax, delivered, invoiced and
	paid as asked; returns the Sales Order."""
	from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry
	from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note, make_sales_invoice

	so = frappe.get_doc(
		{
			"doctype": "Sales Order",
			"company": company.name,
			"customer": customer,
			"transaction_date": nowdate(),
			"delivery_date": add_days(nowdate(), 7),
			"currency": company.currency,
			"selling_price_list": "Standard Selling",
			"set_warehouse": company.stores,
			"items": [
				{"item_code": item, "qty": qty, "rate": rate, "warehouse": company.stores, "delivery_date": add_days(nowdate(), 7)}
				for item, qty, rate in lines
			],
			"taxes": [
				{
					"charge_type": "On Net Total",
					"account_head": company.tax_account,
					"description": "Sales Tax",
					"rate": company.tax_rate,
					"cost_center": company.account("Main"),
				}
			],
		}
	)
	so.insert(ignore_permissions=True)
	so.submit()
	if deliver:
		dn = make_delivery_note(so.name)
		dn.insert(ignore_permissions=True)
		dn.submit()
	if bill:
		si = make_sales_invoice(so.name)
		si.insert(ignore_permissions=True)
		si.submit()
		if pay:
			pe = get_payment_entry("Sales Invoice", si.name, bank_account=company.cash)
			pe.reference_no = f"DEMO-{si.name}"
			pe.reference_date = nowdate()
			pe.insert(ignore_permissions=True)
			pe.submit()
	return so


def raise_request(
	sales_order: str,
	reason: str,
	refund_qty: dict[str, float] | None = None,
	fee: tuple[str, float] | None = None,
	adjustment_per_unit: float = 0.0,
	description: str | None = None,
):
	"""A saved draft, mapped as Create > Refund Request does, as the session user."""
	from refund_manager.api import make_refund_request

	doc = make_refund_request(sales_order)
	doc.refund_reason = reason
	doc.description = description
	if refund_qty:
		doc.items = [d for d in doc.items if d.item_code in refund_qty]
		for d in doc.items:
			d.qty = refund_qty[d.item_code]
	if adjustment_per_unit:
		doc.refund_type = "Price Adjustment"
		doc.return_goods = 0
		for d in doc.items:
			d.rate = adjustment_per_unit
	if fee and fee[1]:
		doc.append("deductions", {"description": "Restocking fee", "account": fee[0], "amount": fee[1]})
	doc.insert()
	return doc


def act(doc, action: str, user: str):
	"""A workflow action, as `user` takes it on the Desk."""
	frappe.set_user(user)
	try:
		apply_workflow(doc.as_dict(), action)
	finally:
		frappe.set_user("Administrator")
	doc.reload()
	return doc


def drive(doc, target: str, users: dict[str, str], rejection_reason: str = "Outside the return window"):
	"""Take a draft through the workflow to `target`: draft, pending, breached, finance, rejected,
	approved (Refunded or Credited once posted, or auto-approved by a rule), cancelled."""
	if target == "draft":
		return doc
	act(doc, approval.SUBMIT_FOR_APPROVAL, users["sales"])
	if target in ("pending", "breached") or doc.docstatus == 1:
		return doc
	if target == "rejected":
		frappe.set_user(users["approver"])
		try:
			approval.set_rejection_reason(doc.name, rejection_reason)
		finally:
			frappe.set_user("Administrator")
		return act(doc, approval.REJECT, users["approver"])
	act(doc, approval.APPROVE, users["approver"])
	if target == "finance":
		return doc
	if doc.status == approval.PENDING_FINANCE_APPROVAL:
		act(doc, approval.APPROVE, users["manager"])
	if target == "cancelled":
		act(doc, approval.CANCEL, users["manager"])
	return doc


def make_scenario(company: DemoCompany, scenario: Scenario, key: str, customer: str, prices: dict[str, float], users: dict[str, str]):
	so = make_order(company, customer, [(item, qty, prices[item]) for item, qty in scenario.lines], pay=scenario.paid)
	frappe.set_user(users["sales"])
	try:
		doc = raise_request(
			so.name,
			scenario.reason,
			scenario.refund_qty or None,
			(company.fee_account, scenario.fee),
			scenario.adjustment_per_unit,
			DEMO_MARK + key,
		)
		if scenario.evidence:
			attach_evidence(doc)
	finally:
		frappe.set_user("Administrator")
	drive(doc, scenario.target, users)
	backdate(doc, scenario, escalate_to=[users["manager"]])
	return doc


def attach_evidence(doc):
	"""What a reason that asks for evidence needs before the request leaves Draft."""
	frappe.get_doc(
		{
			"doctype": "File",
			"file_name": f"{doc.name}-report.txt",
			"attached_to_doctype": doc.doctype,
			"attached_to_name": doc.name,
			"is_private": 1,
			"content": b"Customer's report with photos: the item does not match the listing.",
		}
	).insert()


def backdate(doc, scenario: Scenario, escalate_to: list[str]):
	"""Milestones hours apart (one run takes seconds), the breach of the breached one (escalated to
	`escalate_to` only: the demo leaves the site's real users alone), a rating."""
	if scenario.target == "draft":
		return
	now = now_datetime()
	requested = now - timedelta(hours=scenario.requested_hours_ago)
	values = {"requested_on": requested}
	decided = requested + timedelta(hours=scenario.hours_to_decide)
	if doc.approved_on:
		values["approved_on"] = decided
	if doc.refunded_on:
		values["refunded_on"] = decided
	if doc.rejected_on:
		values["rejected_on"] = decided
	if scenario.target in ("pending", "breached", "finance"):
		response_hours, _due_soon = approval.sla_settings()
		level_start = decided if scenario.target == "finance" else requested
		values["sla_due_by"] = level_start + timedelta(hours=response_hours)
	if scenario.stars:
		values.update(feedback_rating=scenario.stars / 5, feedback_on=now, feedback_comment="Quick and fair.")
	doc.db_set(values, update_modified=False)
	if scenario.target in ("pending", "finance"):
		approval.refresh_sla_status(doc)
		doc.db_set("sla_status", doc.sla_status, update_modified=False)
	if scenario.target == "breached":
		approval.escalate(doc.name, escalate_to)


# ------------------------------------------------------------------ bulk data for benchmarks

# Share of each status among generated requests (with the docstatus and workflow state it implies).
BULK_STATUSES = (
	("Draft", 0, "Draft", 0.05),
	("Pending Approval", 0, "Pending Approval", 0.10),
	("Pending Finance Approval", 0, "Pending Finance Approval", 0.03),
	("Rejected", 0, "Rejected", 0.10),
	("Credited", 1, "Approved", 0.15),
	("Refunded", 1, "Approved", 0.52),
	("Cancelled", 2, "Cancelled", 0.05),
)
BULK_PREFIX = "RFR-BULK-"
REASONS = ("Damaged", "Wrong Item", "Not as Described", "Late Delivery", "Changed Mind")


def insert_refund_requests(
	count: int,
	company: DemoCompany | None = None,
	days: int = 365,
	seed: int = 1,
	chunk_size: int = 5000,
	commit: bool = True,
) -> int:
	"""Insert `count` Refund Requests (one or two lines each) by direct inserts, fast: about what
	100,000 requests need for report benchmarks. Run `make_demo` first: each request points at a
	line of one of the demo company's submitted Sales Orders.

	Made: the request and its items with consistent totals (tax at the company's demo rate), status,
	docstatus and workflow state in the shares of BULK_STATUSES, posting dates spread over the last
	`days` days, milestones (requested, approved, refunded, rejected) hours apart, response time
	and SLA status of pending ones, ratings on a third of the refunded ones. Names: RFR-BULK-<seed>-<n>.

	Not made: no postings (return Delivery Notes, Credit Notes, Payment Entries, Journal Entries,
	GL and stock ledger entries) and no Refund Posting rows - Refund Ledger flags these requests;
	no Version, Comment, ToDo, Workflow Action or e-mail; no validation: refundable quantities and
	amounts are not checked against the orders; the naming series counter is not advanced.
	Pending requests already past their response time are marked escalated (no ToDo), so that the
	hourly escalation job does not assign thousands of them; those still on time will be escalated
	when due, like real ones: remove the bulk data (`remove_bulk_refund_requests`) from a site
	before running the integration tests on it, whose frozen clock puts every one of them past due.
	Commits after each chunk unless `commit` is false.
	"""
	company = company or DemoCompany()
	rng = random.Random(seed)
	lines = order_lines(company)
	lines_by_order: dict[str, list] = {}
	for line in lines:
		lines_by_order.setdefault(line.parent, []).append(line)
	if not lines:
		frappe.throw(f"No submitted Sales Order of {company.name}: run refund_manager.demo.make_demo first.")
	now = now_datetime()
	response_hours, due_soon = approval.sla_settings()
	statuses = [s[:3] for s in BULK_STATUSES]
	weights = [s[3] for s in BULK_STATUSES]
	header_fields, item_fields = BULK_REQUEST_FIELDS, BULK_ITEM_FIELDS
	inserted = 0
	while inserted < count:
		requests, items = [], []
		for n in range(inserted, min(inserted + chunk_size, count)):
			status, docstatus, state = rng.choices(statuses, weights)[0]
			first = rng.choice(lines)
			second = rng.choice(lines_by_order[first.parent]) if rng.random() < 0.3 else first
			rows = [first] if second.name == first.name else [first, second]
			name = f"{BULK_PREFIX}{seed}-{n + 1:07d}"
			request, request_items = bulk_request(name, status, docstatus, state, rows, company, rng, now, days, response_hours, due_soon)
			requests.append(request)
			items.extend(request_items)
		frappe.db.bulk_insert("Refund Request", header_fields, requests, chunk_size=chunk_size)
		frappe.db.bulk_insert("Refund Request Item", item_fields, items, chunk_size=chunk_size)
		inserted += len(requests)
		if commit:
			frappe.db.commit()
	return inserted


BULK_REQUEST_FIELDS = (
	"name", "owner", "modified_by", "creation", "modified", "docstatus", "naming_series", "sales_order", "customer",
	"customer_name", "company", "posting_date", "status", "workflow_state", "refund_reason", "refund_type",
	"return_goods", "currency", "conversion_rate", "items_total", "taxes_total", "deductions_total",
	"refund_amount", "base_refund_amount", "approval_level", "appeal_count", "escalated", "requested_on",
	"approved_on", "refunded_on", "rejected_on", "rejection_reason", "sla_due_by", "sla_status", "feedback_rating",
	"description",
)  # fmt: skip
BULK_ITEM_FIELDS = (
	"name", "owner", "modified_by", "creation", "modified", "docstatus", "parent", "parenttype", "parentfield", "idx",
	"item_code", "item_name", "qty", "uom", "rate", "amount", "tax_amount", "warehouse", "sales_order_item",
)  # fmt: skip


def order_lines(company: DemoCompany) -> list:
	so, soi = frappe.qb.DocType("Sales Order"), frappe.qb.DocType("Sales Order Item")
	return (
		frappe.qb.from_(soi)
		.join(so)
		.on(so.name == soi.parent)
		.select(soi.name, soi.parent, soi.item_code, soi.item_name, soi.uom, soi.rate, soi.qty, soi.warehouse, so.customer, so.customer_name)
		.where((so.docstatus == 1) & (so.company == company.name) & (soi.parenttype == "Sales Order"))
	).run(as_dict=True)


def bulk_request(name, status, docstatus, state, rows, company, rng, now, days, response_hours, due_soon):
	from refund_manager.core import sla

	posted = now - timedelta(days=rng.uniform(0, days))
	requested = posted + timedelta(hours=rng.uniform(0, 8)) if status != "Draft" else None
	decided = requested + timedelta(hours=rng.expovariate(1 / 18)) if requested else None
	approved = decided if docstatus > 0 else None
	refunded = decided if status in ("Refunded", "Cancelled") else None
	rejected = decided if status == "Rejected" else None
	pending = status in ("Pending Approval", "Pending Finance Approval")
	if pending:  # still waiting: requested at most a few days ago
		requested = now - timedelta(hours=rng.uniform(0, 96))
		posted = requested
	due = requested + timedelta(hours=response_hours) if pending else None
	sla_status = sla.status(due, now, due_soon) if due else (sla.PAUSED if rejected else None)
	items, items_total, taxes_total = [], 0.0, 0.0
	for idx, line in enumerate(rows, start=1):
		qty = float(rng.randint(1, max(int(line.qty), 1)))
		amount = flt(qty * line.rate, 2)
		tax = flt(amount * company.tax_rate / 100, 2)
		items_total += amount
		taxes_total += tax
		items.append(
			(f"{name}-{idx}", "Administrator", "Administrator", posted, posted, docstatus, name, "Refund Request", "items", idx,
			 line.item_code, line.item_name, qty, line.uom, line.rate, amount, tax, line.warehouse, line.name)
		)  # fmt: skip
	refund = flt(items_total + taxes_total, 2)
	first = rows[0]
	request = (
		name, "Administrator", "Administrator", posted, posted, docstatus, "RFR-.YYYY.-", first.parent, first.customer,
		first.customer_name, company.name, posted.date(), status, state, rng.choice(REASONS), "Return",
		1, company.currency, 1.0, items_total, taxes_total, 0.0,
		refund, refund, 1, 0, int(sla_status == sla.BREACHED), requested,
		approved, refunded, rejected, "Generated" if rejected else None, due, sla_status,
		rng.choice((0.2, 0.4, 0.6, 0.8, 1.0)) if refunded and rng.random() < 1 / 3 else 0,
		"Generated for benchmarks",
	)  # fmt: skip
	return request, items


def remove_bulk_refund_requests(commit: bool = True) -> int:
	"""Delete what `insert_refund_requests` made (names RFR-BULK-...)."""
	rr, rri = frappe.qb.DocType("Refund Request"), frappe.qb.DocType("Refund Request Item")
	count = frappe.db.count("Refund Request", {"name": ("like", BULK_PREFIX + "%")})
	frappe.qb.from_(rri).delete().where(rri.parent.like(BULK_PREFIX + "%")).run()
	frappe.qb.from_(rr).delete().where(rr.name.like(BULK_PREFIX + "%")).run()
	if commit:
		frappe.db.commit()
	return count
