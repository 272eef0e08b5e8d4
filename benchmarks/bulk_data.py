"""Large volumes of refunds for the benchmarks, written fast by direct inserts.

The requests come from the app's own generator, `refund_manager.demo.insert_refund_requests`
(after `make_demo`: the demo company, its customers, items and orders; every generated request
points at a real demo order line, in every status, with milestones, SLA fields and ratings). That
generator makes no postings; this module adds what the ledger side of the reports reads, for each
generated request that was approved:

- names in order of posting date, as a naming series gives them (the generator draws dates at
  random; InnoDB keeps rows in name order, so this decides how a month's rows lie on disk);
- its postings table (Refund Posting rows: return Delivery Note, Credit Note, Payment Entry for a
  refund paid out; the Credit Note alone for a credit), naming vouchers `BENCH-DN-...`,
  `BENCH-CN-...`, `BENCH-PE-...` that exist only in the ledger;
- the GL Entries of those vouchers on the demo company's accounts (stock and cost of goods for
  the return, sales, tax and the customer for the credit note, the customer and cash for the
  payment; cancelled requests' entries marked cancelled). One refund in 500 has no GL rows for
  its credit note and payment (as if cancelled by hand) and must come out flagged in Refund Ledger.

These rows stand for refunds that already exist on a site: no controllers, workflow or ERPNext
documents, so that 100,000 take a few minutes rather than a day. Timed refunds never come from
here: the benchmarks post those through the app. `cleanup()` deletes exactly what was generated.

    FRAPPE_SITE=refund.test ../env/bin/python /path/to/benchmarks/bulk_data.py --upto 100000
    FRAPPE_SITE=refund.test ../env/bin/python /path/to/benchmarks/bulk_data.py --cleanup
"""

import argparse
import os
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import frappe
from frappe.query_builder.functions import Count
from frappe.utils import flt, getdate

VOUCHER_PREFIX = "BENCH-"
CHUNK = 5000


def demo():
	from refund_manager import demo

	return demo


def company():
	return demo().DemoCompany()


def ensure_masters() -> str:
	"""The demo company, customers, items and orders the generated requests point at (idempotent)."""
	demo().make_demo()
	return company().name


def existing_count() -> int:
	rr = frappe.qb.DocType("Refund Request")
	prefix = demo().BULK_PREFIX
	return frappe.qb.from_(rr).select(Count(rr.name)).where(rr.name.like(f"{prefix}%")).run()[0][0]


def make_refunds(count: int) -> dict:
	"""Append `count` generated refunds with their postings and GL entries; commits per chunk."""
	t0 = time.perf_counter()
	batch = existing_count() + 1  # the generator's seed: names RFR-BULK-<batch>-<n>, never reused
	made = demo().insert_refund_requests(count, seed=batch)
	in_date_order(f"{demo().BULK_PREFIX}{batch}-")
	t1 = time.perf_counter()
	ledger = add_ledger_rows(f"{demo().BULK_PREFIX}{batch}-%")
	return {
		"requests": made,
		**ledger,
		"requests_s": round(t1 - t0, 1),
		"ledger_s": round(time.perf_counter() - t1, 1),
	}


def in_date_order(prefix: str):
	"""Number the requests named `prefix`<n> in order of posting date, as a naming series does on a
	real site (the generator numbers them in the order it draws them, dates at random). InnoDB
	keeps rows in name order, so this decides how many pages a month's requests are spread over."""
	frappe.db.commit()  # a temporary table may not be created inside a transaction with writes
	frappe.db.sql("drop temporary table if exists rm_bench_order")
	frappe.db.sql(
		"""create temporary table rm_bench_order (primary key (name)) as
		select name, row_number() over (order by posting_date, creation, name) as n
		from `tabRefund Request` where name like %s""",
		(f"{prefix}%",),
	)
	temporary = prefix.replace("RFR-BULK-", "RFR-BULKTMP-")
	for table, column in (("tabRefund Request Item", "parent"), ("tabRefund Request", "name")):
		frappe.db.sql(
			f"""update `{table}` t join rm_bench_order o on t.`{column}` = o.name
			set t.`{column}` = concat(%s, lpad(o.n, 7, '0'))""",
			(temporary,),
		)
		frappe.db.sql(
			f"update `{table}` set `{column}` = replace(`{column}`, %s, %s) where `{column}` like %s",
			(temporary, prefix, f"{temporary}%"),
		)
	frappe.db.commit()
	frappe.db.sql("drop temporary table if exists rm_bench_order")


def add_ledger_rows(name_pattern: str) -> dict:
	"""Postings rows and GL entries for the approved generated requests named like `name_pattern`."""
	rr = frappe.qb.DocType("Refund Request")
	c = company()
	cost_center = frappe.db.get_value("Company", c.name, "cost_center")
	written = {"postings": 0, "gl_entries": 0}
	last = ""
	while True:
		requests = (
			frappe.qb.from_(rr)
			.select(
				rr.name,
				rr.status,
				rr.docstatus,
				rr.customer,
				rr.posting_date,
				rr.items_total,
				rr.taxes_total,
				rr.refund_amount,
				rr.creation,
			)
			.where(rr.name.like(name_pattern) & (rr.docstatus > 0) & (rr.name > last))
			.orderby(rr.name)
			.limit(CHUNK)
			.run(as_dict=True)
		)
		if not requests:
			break
		postings, gl = [], []
		for r in requests:
			ledger_rows(r, c, cost_center, postings, gl)
		frappe.db.bulk_insert("Refund Posting", list(POSTING_FIELDS), postings, chunk_size=2000)
		frappe.db.bulk_insert("GL Entry", list(GL_FIELDS), gl, chunk_size=2000)
		frappe.db.commit()
		written["postings"] += len(postings)
		written["gl_entries"] += len(gl)
		last = requests[-1].name
	return written


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


def ledger_rows(r, c, cost_center: str, postings: list, gl: list):
	"""What approving request `r` would have posted: its Refund Posting rows and GL entries."""
	key = r.name.removeprefix(demo().BULK_PREFIX)
	items, taxes = flt(r.items_total), flt(r.taxes_total)
	credit, refund = flt(items + taxes, 2), flt(r.refund_amount)
	documents = [
		("Delivery Note", f"{VOUCHER_PREFIX}DN-{key}", -credit, [("Stock In Hand", None, flt(items * 0.4, 2), 0), ("Cost of Goods Sold", None, 0, flt(items * 0.4, 2))]),
		("Sales Invoice", f"{VOUCHER_PREFIX}CN-{key}", -credit, [("Sales", None, items, 0), ("Demo Sales Tax", None, taxes, 0), ("Debtors", r.customer, 0, credit)]),
	]  # fmt: skip
	if r.status in ("Refunded", "Cancelled"):
		paid = [("Debtors", r.customer, credit, 0), ("Cash", None, 0, refund)]
		documents.append(("Payment Entry", f"{VOUCHER_PREFIX}PE-{key}", refund, paid))
		if int(key.rsplit("-", 1)[-1]) % 500 == 0:
			# its credit note and payment were cancelled by hand: nothing reached the customer, flagged
			documents = [(*d[:3], []) if d[0] != "Delivery Note" else d for d in documents]
	meta = (r.creation, r.creation, "Administrator", "Administrator", 1)
	fiscal_year = fiscal_year_of(r.posting_date)
	for idx, (doctype, voucher, amount, entries) in enumerate(documents, start=1):
		postings.append(
			(hash_name(), *meta, idx, r.name, "postings", "Refund Request", doctype, voucher, amount)
		)
		for account, party, debit, credit_amount in entries:
			if debit or credit_amount:
				gl.append(
					(
						hash_name(), *meta, r.posting_date, fiscal_year, c.account(account), c.currency,
						"Customer" if party else None, party, doctype, voucher, debit, credit_amount, debit,
						credit_amount, c.name, 1 if r.docstatus == 2 else 0, cost_center, "No", f"Refund {r.name}",
					)
				)  # fmt: skip


def hash_name() -> str:
	"""Random, as Frappe names child rows and ERPNext names GL Entries: a voucher's rows lie apart."""
	return frappe.generate_hash(length=20)


FISCAL_YEARS: dict[int, str] = {}


def fiscal_year_of(date) -> str | None:
	year = getdate(date).year
	if year not in FISCAL_YEARS:
		start = getdate(f"{year}-06-30")
		FISCAL_YEARS[year] = frappe.db.get_value(
			"Fiscal Year", {"year_start_date": ("<=", start), "year_end_date": (">=", start)}
		)
	return FISCAL_YEARS[year]


def cleanup() -> dict:
	"""Delete every generated refund, its postings rows and GL entries (the demo itself stays)."""
	prefix = demo().BULK_PREFIX
	deleted = {}
	for doctype, column, pattern in (
		("GL Entry", "voucher_no", f"{VOUCHER_PREFIX}%"),
		("Refund Posting", "parent", f"{prefix}%"),
	):
		frappe.db.sql(f"delete from `tab{doctype}` where `{column}` like %s", (pattern,))
		deleted[doctype] = frappe.db._cursor.rowcount
		frappe.db.commit()
	deleted["Refund Request"] = demo().remove_bulk_refund_requests()
	return deleted


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--requests", type=int, default=0, help="append this many generated refunds")
	parser.add_argument(
		"--upto", type=int, default=0, help="append generated refunds until there are this many"
	)
	parser.add_argument("--cleanup", action="store_true", help="delete every generated refund")
	args = parser.parse_args()
	frappe.init(site=os.environ["FRAPPE_SITE"], sites_path=os.environ.get("FRAPPE_SITES_PATH", "."))
	frappe.connect()
	frappe.set_user("Administrator")
	if args.cleanup:
		print("deleted", cleanup())
	if args.requests or args.upto:
		ensure_masters()
		count = args.requests or max(0, args.upto - existing_count())
		if count:
			print("written", make_refunds(count), "now", existing_count())
	frappe.destroy()


if __name__ == "__main__":
	main()
