"""Posting overhead: a refund through refund_manager against the bare ERPNext documents.

For each round, two identical orders (delivered, invoiced, paid) are made untimed; then, timed:
  app:  Refund Request mapped from the order, saved, approved (posts return DN, credit note, payment)
  bare: the same three documents made and submitted directly with ERPNext's own API
Rounds alternate which path goes first; each round is rolled back. Each timed path starts from
fresh request-local state (frappe.set_user clears it), as every HTTP request does in Frappe: without
that, the path that runs second keeps the first one's warm per-request caches. Run with the bench's
Python from the sites folder:

    FRAPPE_SITE=refund.test ../env/bin/python /path/to/benchmarks/posting_overhead.py [--rounds 15] [--split]
        [--without notifications,inbox]

Prints a table and writes benchmarks/results/posting_overhead.json. No pass/fail: figures only.
Besides wall time it reports each round's ratio (the two paths run back to back) and the CPU time of
this process plus the local MariaDB server's threads (/proc schedstat): on a shared virtual machine
the wall-clock medians drift between runs (1.17x and 1.41x in two runs of the same code here).
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


# --split: time spent inside refund_manager's own code on the app path, so the overhead can be told
# apart from Frappe's and ERPNext's machinery for the request (mapping, three saves, workflow inbox,
# notifications). Inclusive timers; the ERPNext mapping functions both paths call are subtracted
# from the posting step, whose documents cost what the bare path's do.
RR_MODULE = "refund_manager.refund_manager.doctype.refund_request.refund_request"
SPLIT_TIMERS = (  # (what it counts as, module, function or Class.method)
	("validate", RR_MODULE, "RefundRequest.validate"),
	("on_update", RR_MODULE, "RefundRequest.on_update"),
	("order_lock", "refund_manager.order_facts", "lock_sales_order"),
	("order_snapshot", "refund_manager.order_facts", "requests_changed_since_snapshot"),
	("mapping_fill", "refund_manager.api", "fill_refund_request"),
	("post_refund", "refund_manager.posting", "post_refund"),
	("posted_documents", "refund_manager.posting", "submit_posting"),
	("erpnext_mapping", "erpnext.stock.doctype.delivery_note.delivery_note", "make_sales_return"),
	("erpnext_mapping", "erpnext.accounts.doctype.sales_invoice.sales_invoice", "make_sales_return"),
	("erpnext_mapping", "erpnext.accounts.doctype.payment_entry.payment_entry", "get_payment_entry"),
)
spent: dict[str, float] = {}


def owner_of(module: str, attr: str) -> tuple[object, str]:
	"""(module or class, name) holding `attr` ("function" or "Class.method") of `module`."""
	import importlib

	owner = importlib.import_module(module)
	*path, name = attr.split(".")
	for part in path:
		owner = getattr(owner, part)
	return owner, name


def install_split_timers():
	import functools

	for key, module, attr in SPLIT_TIMERS:
		owner, name = owner_of(module, attr)
		fn = getattr(owner, name)
		depth = [0]

		def timed_fn(*args, _fn=fn, _key=key, _depth=depth, **kwargs):
			_depth[0] += 1
			start = time.perf_counter()
			try:
				return _fn(*args, **kwargs)
			finally:
				_depth[0] -= 1
				if not _depth[0]:  # outermost call only
					spent[_key] = spent.get(_key, 0.0) + time.perf_counter() - start

		setattr(owner, name, functools.wraps(fn)(timed_fn))


def own_code_s() -> float:
	"""Seconds of the last app path spent in refund_manager's own code."""
	posting_own = spent.get("post_refund", 0) - spent.get("posted_documents", 0) - spent.get("erpnext_mapping", 0)
	keys = ("validate", "on_update", "order_lock", "order_snapshot", "mapping_fill")
	return sum(spent.get(k, 0) for k in keys) + posting_own


# --without: switch parts of Frappe's own machinery off in this process, to measure what they cost
# the request (a measurement only: the app needs both). In the bare path they do nothing anyway:
# ERPNext's documents here have no Notification and no Workflow.
WITHOUT = {
	# Frappe's Notifications, evaluated on every save (five on Refund Request)
	"notifications": ("frappe.model.document", "Document.run_notifications"),
	# Frappe's workflow inbox: Workflow Actions for the next state's roles, after every save
	"inbox": ("frappe.workflow.doctype.workflow_action.workflow_action", "process_workflow_actions"),
}


def switch_off(names: list[str]):
	for name in names:
		owner, attr = owner_of(*WITHOUT[name])
		setattr(owner, attr, lambda *args, **kwargs: None)  # Frappe resolves hooks by path when it calls them


def mariadb_cpu_s() -> float | None:
	"""CPU time the local MariaDB server has used (all its threads), or None when it is not local."""
	pids = [p for p in Path("/proc").iterdir() if p.name.isdigit() and (p / "comm").exists()]
	total, found = 0, False
	for pid in pids:
		try:
			if (pid / "comm").read_text().strip() not in ("mariadbd", "mysqld"):
				continue
			for task in (pid / "task").iterdir():
				total += int((task / "schedstat").read_text().split()[0])  # nanoseconds on the CPU
			found = True
		except OSError:
			continue
	return total / 1e9 if found else None


def timed(fn, *args) -> tuple[float, float | None]:
	"""Wall seconds, and CPU seconds of this process plus the database server's."""
	frappe.set_user("Administrator")  # a new request: empty request-local caches, as in production
	db_before = mariadb_cpu_s()
	cpu_before = time.process_time()
	start = time.perf_counter()
	fn(*args)
	wall = time.perf_counter() - start
	cpu = time.process_time() - cpu_before
	db_after = mariadb_cpu_s()
	return wall, (cpu + db_after - db_before) if db_before is not None else None


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--rounds", type=int, default=15)
	parser.add_argument(
		"--split", action="store_true", help="also time refund_manager's own code on the app path (adds timers)"
	)
	parser.add_argument(
		"--without",
		default="",
		help=f"comma-separated parts of Frappe's machinery to switch off for a measurement: {', '.join(WITHOUT)}",
	)
	args = parser.parse_args()
	without = [w for w in args.without.split(",") if w]
	unknown = set(without) - set(WITHOUT)
	if unknown:
		parser.error(f"--without: unknown {', '.join(sorted(unknown))} (known: {', '.join(WITHOUT)})")
	connect()
	if args.split:
		install_split_timers()
	switch_off(without)
	from tests.integration import factories as f

	f.ensure_company()
	item = f.make_item(stock_qty=100000)
	frappe.db.commit()

	app, bare, app_cpu, bare_cpu, own = [], [], [], [], []
	for i in range(args.rounds + 1):  # the first round warms caches and is not counted
		frappe.db.savepoint("round")
		orders = [paid_order(f, item), paid_order(f, item)]
		order_of_paths = [(app, app_cpu, app_path), (bare, bare_cpu, bare_path)]
		if i % 2:
			order_of_paths.reverse()
		for (samples, cpu_samples, path), order in zip(order_of_paths, orders):
			spent.clear()
			seconds, cpu = timed(path, f, *order)
			if i:
				samples.append(seconds)
				cpu_samples.append(cpu)
				if path is app_path and args.split:
					own.append(own_code_s())
		frappe.db.rollback(save_point="round")
	frappe.db.rollback()

	p90 = lambda xs: sorted(xs)[int(0.9 * (len(xs) - 1))]  # noqa: E731
	has_cpu = None not in app_cpu + bare_cpu
	result = {
		"rounds": args.rounds,
		"app_median_s": statistics.median(app),
		"bare_median_s": statistics.median(bare),
		"app_p90_s": p90(app),
		"bare_p90_s": p90(bare),
		"ratio_of_medians": statistics.median(app) / statistics.median(bare),
		# each round's two paths ran back to back: their ratio is not moved by the machine speeding
		# up or slowing down between rounds, as the medians are on a shared (virtual) machine
		"median_of_round_ratios": statistics.median(a / b for a, b in zip(app, bare, strict=True)),
		"app_cpu_median_s": statistics.median(app_cpu) if has_cpu else None,
		"bare_cpu_median_s": statistics.median(bare_cpu) if has_cpu else None,
		"cpu_ratio_of_medians": statistics.median(app_cpu) / statistics.median(bare_cpu) if has_cpu else None,
		"own_code_median_s": statistics.median(own) if own else None,
		# the app path less refund_manager's own code, against the bare path: the floor Frappe and
		# ERPNext set for a request mapped, saved three times through a workflow, and posted
		"ratio_without_own_code": (statistics.median(a - o for a, o in zip(app, own, strict=True)) / statistics.median(bare))
		if own
		else None,
		"without": without,
		"frappe": frappe.__version__,
		"site": frappe.local.site,
		"app_s": app,
		"bare_s": bare,
	}
	print(f"{'path':<44}{'median s':>10}{'p90 s':>10}{'CPU s':>10}")
	for label, key in (("refund_manager (raise, approve, post)", "app"), ("bare ERPNext (return DN, credit note, PE)", "bare")):
		cpu = result[f"{key}_cpu_median_s"]
		print(f"{label:<44}{result[f'{key}_median_s']:>10.3f}{result[f'{key}_p90_s']:>10.3f}{cpu if cpu is not None else float('nan'):>10.3f}")
	if without:
		print(f"measured WITHOUT Frappe's {' and '.join(without)} (switched off in this process)")
	print(f"ratio of medians: {result['ratio_of_medians']:.2f}x over {args.rounds} rounds (target <= 1.15x)")
	print(f"median of the rounds' ratios: {result['median_of_round_ratios']:.2f}x")
	if has_cpu:
		print(f"CPU (this process + MariaDB) ratio of medians: {result['cpu_ratio_of_medians']:.2f}x")
	if own:
		print(
			f"refund_manager's own code on the app path: {result['own_code_median_s'] * 1000:.0f} ms median; "
			f"without it the ratio would be {result['ratio_without_own_code']:.2f}x"
		)
	out = HERE / "results"
	out.mkdir(exist_ok=True)
	suffix = "".join(f"_without_{w}" for w in without)  # a measurement without Frappe's parts keeps its own file
	(out / f"posting_overhead{suffix}.json").write_text(json.dumps(result, indent=1))
	frappe.destroy()


if __name__ == "__main__":
	main()
