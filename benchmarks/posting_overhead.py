"""Posting overhead: a refund through refund_manager against the bare ERPNext documents.

For each round, two identical orders (delivered, invoiced, paid) are made untimed; then, timed:
  app:  Refund Request mapped from the order, saved, approved (posts return DN, credit note, payment)
  bare: the same three documents made and submitted directly with ERPNext's own API
Rounds alternate which path goes first; each round is rolled back. Each timed path starts from
fresh request-local state (frappe.set_user clears it), as every HTTP request does in Frappe: without
that, the path that runs second keeps the first one's warm per-request caches. Run with the bench's
Python from the sites folder:

    FRAPPE_SITE=refund.test ../env/bin/python /path/to/benchmarks/posting_overhead.py [--rounds 15]

Prints a table and writes benchmarks/results/posting_overhead.json. No pass/fail: figures only.
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import frappe  # noqa: E402


def connect():
	frappe.init(site=os.environ["FRAPPE_SITE"], sites_path=os.environ.get("FRAPPE_SITES_PATH", "."))
	frappe.connect()
	frappe.set_user("Administrator")


def paid_order(f, item):
	customer = f.make_customer()
	so = f.make_sales_order(customer, [(item, 5, 100.0)])
	dn = f.deliver(so.name)
	si = f.bill(so.name)
	f.pay("Sales Invoice", si.name)
	return so, dn, si


def app_path(f, so, dn, si):
	from refund_manager.api import make_refund_request

	doc = make_refund_request(so.name)
	doc.refund_reason = "Wrong Item"
	doc.items[0].qty = 2
	doc.insert()
	approve(doc)
	assert doc.status == "Refunded", doc.status


def approve(doc):
	"""Through the approval workflow when one is active, else by submitting."""
	from frappe.model.workflow import get_workflow_name

	if get_workflow_name(doc.doctype):
		from frappe.model.workflow import apply_workflow

		for action in ("Submit for Approval", "Approve", "Approve"):
			if doc.docstatus == 1:
				break
			doc = apply_workflow(doc, action)
	else:
		doc.submit()


def bare_path(f, so, dn, si):
	from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry
	from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return as credit_note
	from erpnext.stock.doctype.delivery_note.delivery_note import make_sales_return as stock_return

	from refund_manager.posting import as_loaded

	ret = as_loaded(stock_return(dn.name))
	ret.items[0].qty = -2
	ret.items[0].warehouse = f.RETURNS
	ret.insert()
	ret.submit()
	cn = as_loaded(credit_note(si.name))
	cn.items[0].qty = -2
	cn.update_outstanding_for_self = 1
	cn.disable_rounded_total = 1
	cn.insert()
	cn.submit()
	pe = get_payment_entry("Sales Invoice", cn.name, bank_account=f"Cash - {f.ABBR}")
	pe.reference_no = cn.name
	pe.reference_date = frappe.utils.nowdate()
	pe.insert()
	pe.submit()


def timed(fn, *args) -> float:
	frappe.set_user("Administrator")  # a new request: empty request-local caches, as in production
	start = time.perf_counter()
	fn(*args)
	return time.perf_counter() - start


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--rounds", type=int, default=15)
	args = parser.parse_args()
	connect()
	from tests.integration import factories as f

	f.ensure_company()
	item = f.make_item(stock_qty=100000)
	frappe.db.commit()

	app, bare = [], []
	for i in range(args.rounds + 1):  # the first round warms caches and is not counted
		frappe.db.savepoint("round")
		orders = [paid_order(f, item), paid_order(f, item)]
		order_of_paths = [(app, app_path), (bare, bare_path)]
		if i % 2:
			order_of_paths.reverse()
		for (samples, path), order in zip(order_of_paths, orders):
			seconds = timed(path, f, *order)
			if i:
				samples.append(seconds)
		frappe.db.rollback(save_point="round")
	frappe.db.rollback()

	result = {
		"rounds": args.rounds,
		"app_median_s": statistics.median(app),
		"bare_median_s": statistics.median(bare),
		"app_p90_s": sorted(app)[int(0.9 * (len(app) - 1))],
		"bare_p90_s": sorted(bare)[int(0.9 * (len(bare) - 1))],
		"ratio_of_medians": statistics.median(app) / statistics.median(bare),
		"frappe": frappe.__version__,
		"site": frappe.local.site,
	}
	print(f"{'path':<44}{'median s':>10}{'p90 s':>10}")
	print(f"{'refund_manager (raise, approve, post)':<44}{result['app_median_s']:>10.3f}{result['app_p90_s']:>10.3f}")
	print(f"{'bare ERPNext (return DN, credit note, PE)':<44}{result['bare_median_s']:>10.3f}{result['bare_p90_s']:>10.3f}")
	print(f"ratio of medians: {result['ratio_of_medians']:.2f}x over {args.rounds} rounds (target <= 1.15x)")
	out = HERE / "results"
	out.mkdir(exist_ok=True)
	(out / "posting_overhead.json").write_text(json.dumps(result, indent=1))
	frappe.destroy()


if __name__ == "__main__":
	main()
