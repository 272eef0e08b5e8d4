"""Large volumes of refunds for the benchmarks, written fast by direct inserts.

These rows stand for refunds that already exist on a site: they are written straight into the
tables (`frappe.db.bulk_insert`), without controllers, workflow or ERPNext documents, so that
100,000 of them take about a minute instead of a day. What they hold is what the hot path and the
reports read:

- Refund Request (every status and workflow state, dates spread over the last 12 months, request,
  approval and refund timestamps, ratings on some refunded ones), its items and its postings table;
- GL Entries for the postings of approved refunds (credit note, payment, stock return), so the
  Refund Ledger joins and sums real ledger rows; about one refund in 500 misses its payment's GL
  rows and must come out flagged;
- on a company of their own, `RM Bench Company` (customers, items and groups created once through
  the ORM), so they never mix with the test company's books.

Every generated name starts with BENCH (requests `RFR-BENCH-0000001`, vouchers `BENCH-CN-...`);
`cleanup()` deletes exactly those rows. Timed refunds never come from here: the benchmarks post
those through the app.

    FRAPPE_SITE=refund.test ../env/bin/python /path/to/benchmarks/bulk_data.py --requests 10000
    FRAPPE_SITE=refund.test ../env/bin/python /path/to/benchmarks/bulk_data.py --cleanup
"""

import argparse
import os
import random
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import frappe
from frappe.utils import add_days, getdate, nowdate

COMPANY = "RM Bench Company"
ABBR = "RMBC"
PREFIX = "RFR-BENCH-"
VOUCHER_PREFIX = "BENCH-"
CUSTOMER_GROUPS = ("RM Bench Retail", "RM Bench Wholesale", "RM Bench Online")
ITEM_GROUPS = ("RM Bench Apparel", "RM Bench Electronics", "RM Bench Home", "RM Bench Toys")
N_CUSTOMERS = 300
N_ITEMS = 120
REASONS = ("Damaged", "Wrong Item", "Not as Described", "Late Delivery", "Changed Mind", "Price Adjustment")
TAX_RATE = 0.10

# (status, workflow_state, docstatus, share of all requests)
STATUS_MIX = (
	("Refunded", "Approved", 1, 0.60),
	("Credited", "Approved", 1, 0.10),
	("Pending Approval", "Pending Approval", 0, 0.08),
	("Pending Finance Approval", "Pending Finance Approval", 0, 0.02),
	("Draft", "Draft", 0, 0.05),
	("Rejected", "Rejected", 0, 0.08),
	("Cancelled", "Cancelled", 2, 0.07),
)


def account(name: str) -> str:
	return f"{name} - {ABBR}"


# ---------------------------------------------------------------- masters (ORM, once)


def ensure_masters() -> dict:
	"""Company, groups, customers and items for the generated refunds (created once, through the ORM)."""
	year = getdate().year
	for y in (year - 1, year, year + 1):
		start, end = getdate(f"{y}-01-01"), getdate(f"{y}-12-31")
		if not frappe.db.exists("Fiscal Year", {"year_start_date": start, "year_end_date": end}):
			frappe.get_doc(
				{"doctype": "Fiscal Year", "year": f"RM {y}", "year_start_date": start, "year_end_date": end}
			).insert()
	if not frappe.db.exists("Company", COMPANY):
		frappe.get_doc(
			{
				"doctype": "Company",
				"company_name": COMPANY,
				"abbr": ABBR,
				"default_currency": "USD",
				"country": "United States",
				"create_chart_of_accounts_based_on": "Standard Template",
				"chart_of_accounts": "Standard",
			}
		).insert()
	if not frappe.db.exists("Account", account("RM Output Tax")):
		frappe.get_doc(
			{
				"doctype": "Account",
				"account_name": "RM Output Tax",
				"company": COMPANY,
				"parent_account": account("Duties and Taxes"),
				"account_type": "Tax",
			}
		).insert()
	for group in CUSTOMER_GROUPS:
		if not frappe.db.exists("Customer Group", group):
			frappe.get_doc(
				{
					"doctype": "Customer Group",
					"customer_group_name": group,
					"parent_customer_group": "All Customer Groups",
				}
			).insert()
	for group in ITEM_GROUPS:
		if not frappe.db.exists("Item Group", group):
			frappe.get_doc(
				{"doctype": "Item Group", "item_group_name": group, "parent_item_group": "All Item Groups"}
			).insert()
	territory = frappe.db.get_value("Territory", {"is_group": 0}) or "All Territories"
	for i in range(1, N_CUSTOMERS + 1):
		name = f"RM Bench Customer {i:04d}"
		if not frappe.db.exists("Customer", name):
			frappe.get_doc(
				{
					"doctype": "Customer",
					"customer_name": name,
					"customer_group": CUSTOMER_GROUPS[i % len(CUSTOMER_GROUPS)],
					"territory": territory,
				}
			).insert()
	for i in range(1, N_ITEMS + 1):
		code = f"RM-BENCH-ITEM-{i:04d}"
		if not frappe.db.exists("Item", code):
			frappe.get_doc(
				{
					"doctype": "Item",
					"item_code": code,
					"item_name": f"Bench item {i}",
					"item_group": ITEM_GROUPS[i % len(ITEM_GROUPS)],
					"stock_uom": "Nos",
					"is_stock_item": 0,
				}
			).insert()
	frappe.db.commit()
	return {
		"customers": [f"RM Bench Customer {i:04d}" for i in range(1, N_CUSTOMERS + 1)],
		"items": [f"RM-BENCH-ITEM-{i:04d}" for i in range(1, N_ITEMS + 1)],
	}


# ---------------------------------------------------------------- refunds (direct inserts)

REQUEST_FIELDS = (
	"name", "creation", "modified", "modified_by", "owner", "docstatus", "idx", "naming_series",
	"sales_order", "customer", "customer_name", "company", "posting_date", "status", "workflow_state",
	"refund_reason", "refund_type", "return_goods", "currency", "conversion_rate", "mode_of_payment",
	"items_total", "taxes_total", "deductions_total", "refund_amount", "base_refund_amount",
	"approval_level", "rejection_reason", "rejected_on", "requested_on", "approved_on", "refunded_on",
	"sla_due_by", "sla_status", "feedback_rating", "feedback_on",
)  # fmt: skip
ITEM_FIELDS = (
	"name", "creation", "modified", "modified_by", "owner", "docstatus", "idx", "parent", "parentfield",
	"parenttype", "item_code", "item_name", "qty", "max_refundable_qty", "uom", "rate", "amount", "tax_amount",
	"sales_order_item",
)  # fmt: skip
POSTING_FIELDS = (
	"name", "creation", "modified", "modified_by", "owner", "docstatus", "idx", "parent", "parentfield",
	"parenttype", "reference_doctype", "reference_name", "amount",
)  # fmt: skip
GL_FIELDS = (
	"name", "creation", "modified", "modified_by", "owner", "docstatus", "posting_date", "fiscal_year",
	"account", "account_currency", "party_type", "party", "voucher_type", "voucher_no", "debit", "credit",
	"debit_in_account_currency", "credit_in_account_currency", "company", "is_cancelled", "cost_center",
	"is_opening", "remarks",
)  # fmt: skip


def existing_count() -> int:
	rr = frappe.qb.DocType("Refund Request")
	from frappe.query_builder.functions import Count

	return frappe.qb.from_(rr).select(Count(rr.name)).where(rr.name.like(f"{PREFIX}%")).run()[0][0]


def make_refunds(count: int, masters: dict, seed: int = 7, days: int = 365, chunk: int = 5000) -> dict:
	"""Append `count` generated refunds (numbered after those already there); commits per chunk."""
	rng = random.Random(seed + existing_count())
	start = existing_count() + 1
	today = getdate(nowdate())
	cost_center = frappe.db.get_value("Company", COMPANY, "cost_center")
	statuses = [s for s in STATUS_MIX]
	weights = [s[3] for s in STATUS_MIX]
	written = {"requests": 0, "items": 0, "postings": 0, "gl_entries": 0}
	t0 = time.perf_counter()
	for chunk_start in range(start, start + count, chunk):
		rows = {"Refund Request": [], "Refund Request Item": [], "Refund Posting": [], "GL Entry": []}
		for n in range(chunk_start, min(chunk_start + chunk, start + count)):
			_one_refund(n, rng, masters, today, days, cost_center, statuses, weights, rows)
		for doctype, fields in (
			("Refund Request", REQUEST_FIELDS),
			("Refund Request Item", ITEM_FIELDS),
			("Refund Posting", POSTING_FIELDS),
			("GL Entry", GL_FIELDS),
		):
			if rows[doctype]:
				frappe.db.bulk_insert(doctype, list(fields), rows[doctype], chunk_size=2000)
		frappe.db.commit()
		written["requests"] += len(rows["Refund Request"])
		written["items"] += len(rows["Refund Request Item"])
		written["postings"] += len(rows["Refund Posting"])
		written["gl_entries"] += len(rows["GL Entry"])
	written["seconds"] = round(time.perf_counter() - t0, 1)
	return written


def _one_refund(n, rng, masters, today, days, cost_center, statuses, weights, rows):
	name = f"{PREFIX}{n:07d}"
	status, state, docstatus, _share = rng.choices(statuses, weights)[0]
	posting_date = add_days(today, -rng.randrange(days))
	requested = datetime.combine(getdate(posting_date), datetime.min.time()) + timedelta(
		minutes=rng.randrange(8 * 60, 18 * 60)
	)
	customer = masters["customers"][rng.randrange(len(masters["customers"]))]
	reason = rng.choice(REASONS)
	adjustment = reason == "Price Adjustment"
	return_goods = 0 if adjustment or reason == "Late Delivery" else 1
	sales_order = f"BENCH-SO-{n:07d}"
	stamp = requested
	meta = (stamp, stamp, "Administrator", "Administrator", docstatus)

	items_total = taxes_total = 0.0
	for idx in range(1, rng.choice((1, 1, 1, 2, 2, 3)) + 1):
		item = masters["items"][rng.randrange(len(masters["items"]))]
		qty = rng.randint(1, 4)
		rate = round(rng.uniform(5, 150), 2)
		amount = round(qty * rate, 2)
		tax = round(amount * TAX_RATE, 2)
		items_total += amount
		taxes_total += tax
		rows["Refund Request Item"].append(
			(
				f"{name}-I{idx}",
				*meta,
				idx,
				name,
				"items",
				"Refund Request",
				item,
				item,
				qty,
				qty,
				"Nos",
				rate,
				amount,
				tax,
				f"{sales_order}-L{idx}",
			)
		)
	items_total, taxes_total = round(items_total, 2), round(taxes_total, 2)
	fee = round(items_total * 0.05, 2) if return_goods and rng.random() < 0.2 else 0.0
	refund = round(items_total + taxes_total - fee, 2)

	approved_on = refunded_on = rejected_on = sla_due_by = None
	sla_status = rejection = None
	rating = feedback_on = None
	if docstatus >= 1 or status == "Rejected":
		decided = requested + timedelta(hours=rng.expovariate(1 / 14))
		if status == "Rejected":
			rejected_on, rejection, sla_status = decided, "Outside the return window", "Paused"
		else:
			approved_on = decided
			refunded_on = (
				decided + timedelta(minutes=rng.randint(0, 3))
				if status in ("Refunded", "Cancelled")
				else None
			)
			if status == "Refunded" and rng.random() < 0.3:
				rating, feedback_on = rng.randint(1, 5) / 5, refunded_on + timedelta(days=rng.randint(0, 5))
	elif status.startswith("Pending"):
		sla_due_by = requested + timedelta(hours=24)
		sla_status = "Breached" if getdate(posting_date) < add_days(today, -1) else "On Track"
	level = 2 if refund > 400 else 1
	rows["Refund Request"].append(
		(
			name, *meta, 0, "RFR-.YYYY.-", sales_order, customer, customer, COMPANY, posting_date, status, state,
			reason, "Price Adjustment" if adjustment else "Return", return_goods, "USD", 1.0, "Cash",
			items_total, taxes_total, fee, refund, refund, level, rejection, rejected_on, requested, approved_on,
			refunded_on, sla_due_by, sla_status, rating, feedback_on,
		)
	)  # fmt: skip

	if docstatus == 0:
		return
	postings = []  # (doctype, voucher, amount, gl rows)
	credit = round(items_total + taxes_total, 2)
	if return_goods:
		voucher = f"{VOUCHER_PREFIX}DN-{n:07d}"
		cost = round(items_total * 0.4, 2)
		postings.append(
			(
				"Delivery Note",
				voucher,
				-credit,
				[("Stock In Hand", None, cost, 0), ("Cost of Goods Sold", None, 0, cost)],
			)
		)
	if adjustment:
		voucher = f"{VOUCHER_PREFIX}JE-{n:07d}"
		gl = [
			("Sales", None, items_total, 0),
			("RM Output Tax", None, taxes_total, 0),
			("Debtors", customer, 0, credit),
		]
		if status == "Refunded":
			gl += [("Debtors", customer, refund, 0), ("Cash", None, 0, refund)]
		postings.append(("Journal Entry", voucher, refund, gl))
	else:
		voucher = f"{VOUCHER_PREFIX}CN-{n:07d}"
		postings.append(
			(
				"Sales Invoice",
				voucher,
				-credit,
				[
					("Sales", None, items_total, 0),
					("RM Output Tax", None, taxes_total, 0),
					("Debtors", customer, 0, credit),
				],
			)
		)
		if status in ("Refunded", "Cancelled"):
			voucher = f"{VOUCHER_PREFIX}PE-{n:07d}"
			gl = [("Debtors", customer, credit, 0), ("Cash", None, 0, refund)]
			if fee:
				gl.append(("Miscellaneous Expenses", None, 0, fee))
			unbalanced = n % 500 == 0  # its payment never reached the ledger: the report must flag it
			postings.append(("Payment Entry", voucher, refund, [] if unbalanced else gl))
		elif fee:
			voucher = f"{VOUCHER_PREFIX}JE-{n:07d}"
			postings.append(
				(
					"Journal Entry",
					voucher,
					fee,
					[("Debtors", customer, fee, 0), ("Miscellaneous Expenses", None, 0, fee)],
				)
			)

	cancelled = 1 if docstatus == 2 else 0
	fiscal_year = f"RM {getdate(posting_date).year}"
	for idx, (doctype, voucher, amount, gl) in enumerate(postings, start=1):
		rows["Refund Posting"].append(
			(f"{name}-P{idx}", *meta, idx, name, "postings", "Refund Request", doctype, voucher, amount)
		)
		for g, (acc, party, debit, credit_amount) in enumerate(gl, start=1):
			if not (debit or credit_amount):
				continue
			rows["GL Entry"].append(
				(
					f"{voucher}-G{g}", stamp, stamp, "Administrator", "Administrator", 1, posting_date, fiscal_year,
					account(acc), "USD", "Customer" if party else None, party, doctype, voucher, debit, credit_amount,
					debit, credit_amount, COMPANY, cancelled, cost_center, "No", f"Refund {name}",
				)
			)  # fmt: skip


def cleanup() -> dict:
	"""Delete every generated refund and its rows (masters stay: they are cheap and reused)."""
	deleted = {}
	for doctype, column, pattern in (
		("GL Entry", "voucher_no", f"{VOUCHER_PREFIX}%"),
		("Refund Posting", "parent", f"{PREFIX}%"),
		("Refund Request Item", "parent", f"{PREFIX}%"),
		("Refund Deduction", "parent", f"{PREFIX}%"),
		("Refund Request", "name", f"{PREFIX}%"),
	):
		frappe.db.sql(f"delete from `tab{doctype}` where `{column}` like %s", (pattern,))
		deleted[doctype] = frappe.db._cursor.rowcount
		frappe.db.commit()
	return deleted


def connect():
	frappe.init(site=os.environ["FRAPPE_SITE"], sites_path=os.environ.get("FRAPPE_SITES_PATH", "."))
	frappe.connect()
	frappe.set_user("Administrator")


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--requests", type=int, default=0, help="append this many generated refunds")
	parser.add_argument(
		"--upto", type=int, default=0, help="append generated refunds until there are this many"
	)
	parser.add_argument("--cleanup", action="store_true", help="delete every generated refund")
	args = parser.parse_args()
	connect()
	if args.cleanup:
		print("deleted", cleanup())
	count = args.requests or max(0, args.upto - existing_count()) if (args.requests or args.upto) else 0
	if count:
		masters = ensure_masters()
		print("written", make_refunds(count, masters), "now", existing_count())
	frappe.destroy()


if __name__ == "__main__":
	main()
