"""Scale: time per refund as refunds pile up, and refunds per minute through the bulk approval.

Two measurements on one site, run with the bench's Python from the sites folder:

    FRAPPE_SITE=refund.test ../env/bin/python /path/to/benchmarks/scale.py \
        [--levels 100,1000,10000] [--rounds 15] [--bulk 500] [--skip-levels] [--skip-bulk]

1. **Time per refund against existing refunds.** For each level, generated refunds are added
   (benchmarks/bulk_data.py: refund_manager.demo's generator, direct inserts on the demo company) until the site holds that many
   Refund Requests; then `--rounds` refunds go through the real path, each on a fresh delivered,
   invoiced and paid order (made untimed): the request mapped from the order, saved and submitted
   for approval by a Sales User, approved by a Refund Approver (which posts the return Delivery
   Note, Credit Note and Payment Entry). Each round is rolled back, so the level stays exact.
   Flat means: no query on that path reads all refunds. The plans of the path's queries at the
   last level are written too (benchmarks/hot_queries.py).
2. **Bulk approval.** `--bulk` pending requests (each on its own paid order, raised by a Sales
   User) are committed; a real RQ worker for the bench is started (`frappe worker --queue short`,
   the queue Frappe's bulk workflow action uses); the Refund Approver calls
   `frappe.model.workflow.bulk_workflow_approval` (what the list view's bulk Approve calls), which
   enqueues one job; the clock runs until every request is posted. The worker's memory is read from
   /proc (VmHWM: peak resident set) of the worker and of the work-horse process RQ forks per job.
   The requests, orders and postings of this part stay on the site (committed, as in production).

Prints a table and writes benchmarks/results/scale.json. No pass/fail: figures only. The machine's
load average is recorded beside each figure (other work on the same cores slows everything).
"""

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

import bulk_data
import frappe
import hot_queries
from frappe.query_builder.functions import Count

DOCTYPE = "Refund Request"


def connect():
	frappe.init(site=os.environ["FRAPPE_SITE"], sites_path=os.environ.get("FRAPPE_SITES_PATH", "."))
	frappe.connect()
	frappe.set_user("Administrator")


def load() -> float:
	return round(os.getloadavg()[0], 2)


def quantiles(samples: list[float]) -> dict:
	ordered = sorted(samples)
	return {
		"n": len(samples),
		"median_s": round(statistics.median(samples), 4),
		"p90_s": round(ordered[int(0.9 * (len(ordered) - 1))], 4),
		"min_s": round(ordered[0], 4),
	}


# ---------------------------------------------------------------- shared setup


def ensure_users(f) -> tuple[str, str]:
	"""A Sales User who raises refunds and a Refund Approver who approves them (committed, reused)."""
	users = []
	for role, email in (
		("Sales User", "rm-bench-sales@example.com"),
		("Refund Approver", "rm-bench-approver@example.com"),
	):
		if not frappe.db.exists("User", email):
			user = frappe.get_doc(
				{
					"doctype": "User",
					"email": email,
					"first_name": role,
					"send_welcome_email": 0,
					"user_type": "System User",
				}
			)
			user.append("roles", {"role": role})
			user.insert(ignore_permissions=True)
		users.append(email)
	frappe.db.commit()
	return users[0], users[1]


def paid_order(f, customer, item):
	so = f.make_sales_order(customer, [(item, 5, 100.0)])
	f.deliver(so.name)
	si = f.bill(so.name)
	f.pay("Sales Invoice", si.name)
	return so


def raise_request(f, so_name: str, sales_user: str):
	"""As the Sales User, one request (its own HTTP request in Desk) mapped, saved, submitted."""
	from frappe.model.workflow import apply_workflow

	frappe.set_user(sales_user)
	doc = f.refund_request_for(so_name, reason="Wrong Item")
	doc.items[0].qty = 2
	doc.insert()
	frappe.set_user(sales_user)  # the next click is a new request
	apply_workflow(doc.as_dict(), "Submit for Approval")
	return doc.name


def approve(name: str, approver: str):
	from frappe.model.workflow import apply_workflow

	frappe.set_user(approver)
	doc = apply_workflow(frappe.get_doc(DOCTYPE, name).as_dict(), "Approve")
	assert doc.docstatus == 1 and doc.status == "Refunded", (doc.name, doc.status)


# ---------------------------------------------------------------- 1. time per refund by level


def total_requests() -> int:
	return frappe.db.count(DOCTYPE)


def handler_reads() -> dict[str, int]:
	"""This connection's row-read counters: index lookups, index range steps, full-scan row reads."""
	rows = frappe.db.sql("SHOW SESSION STATUS LIKE 'Handler_read%'")
	return {name: int(value) for name, value in rows}


def time_level(
	f, level: int, rounds: int, sales_user: str, approver: str, customers: list[str], item: str
) -> dict:
	others = total_requests() - bulk_data.existing_count()
	missing = level - total_requests()
	if missing > 0:
		bulk_data.ensure_masters()
	generated = bulk_data.make_refunds(missing) if missing > 0 else None
	frappe.set_user("Administrator")
	samples, raise_s, approve_s, cpu_s, reads = [], [], [], [], []
	load_before = load()
	for i in range(rounds + 1):  # the first round warms caches and is not counted
		frappe.db.savepoint("round")
		so = paid_order(f, customers[i % len(customers)], item)
		handler_before = handler_reads()
		c0, t0 = time.process_time(), time.perf_counter()
		name = raise_request(f, so.name, sales_user)
		t1 = time.perf_counter()
		approve(name, approver)
		c2, t2 = time.process_time(), time.perf_counter()
		handler_after = handler_reads()
		frappe.set_user("Administrator")
		frappe.db.rollback(save_point="round")
		if i:
			samples.append(t2 - t0)
			raise_s.append(t1 - t0)
			approve_s.append(t2 - t1)
			cpu_s.append(c2 - c0)
			reads.append({k: handler_after[k] - handler_before[k] for k in handler_after})
	frappe.db.rollback()
	return {
		"existing_refunds": total_requests(),
		"generated": bulk_data.existing_count(),
		"other_requests": others,
		"generated_now": generated,
		"per_refund": quantiles(samples),
		"raise_and_submit": quantiles(raise_s),
		"approve_and_post": quantiles(approve_s),
		"python_cpu": quantiles(cpu_s),
		# rows MariaDB read for one refund (this connection): full-scan reads are Handler_read_rnd_next
		"db_rows_read_median": {k: statistics.median(r[k] for r in reads) for k in reads[0]},
		"load_avg_before": load_before,
		"load_avg_after": load(),
	}


def explain_at_level(f) -> dict:
	calls = hot_queries.one_refund_round_trip(f)
	frappe.db.rollback()
	ours = hot_queries.explain(calls, ("refund_manager",))
	everyone = hot_queries.explain(calls, hot_queries.APPS)
	return {
		"statements": len(calls),
		"our_shapes": len(ours),
		"our_scans": [e for e in ours if e.get("scans")],
		"scans_by_any_app": [
			{k: e[k] for k in ("app", "origin", "shape", "scans", "plan")} for e in everyone if e.get("scans")
		],
		"our_plans": [{k: e.get(k) for k in ("origin", "shape", "plan")} for e in ours],
	}


# ---------------------------------------------------------------- 2. bulk approval through a worker


def queue_state() -> dict:
	"""Jobs waiting in the site's queues (by site) and the workers listening on them."""
	from frappe.utils.background_jobs import get_queue_list, get_redis_conn
	from rq import Queue, Worker

	conn = get_redis_conn()
	queues, workers = {}, set()
	for qname in get_queue_list(build_queue_name=True):
		queue = Queue(qname, connection=conn)
		queues[qname] = [j.kwargs.get("site") for j in queue.jobs]
		workers.update(w.name for w in Worker.all(queue=queue))
	return {"queues": queues, "workers": sorted(workers)}


def check_queue_is_ours(state: dict):
	"""Our worker would run whatever waits in the short queue: refuse when that is another site's."""
	foreign = {
		q: sites
		for q, sites in state["queues"].items()
		if q.endswith(":short") and any(s != frappe.local.site for s in sites)
	}
	if state["workers"] or foreign:
		sys.exit(
			f"Refusing to start a worker: workers {state['workers']} already listen, or other sites' jobs wait in "
			f"the short queue {foreign}. On a shared bench give this site its own queues: "
			"bench --site SITE set-config bench_id SOMETHING"
		)


def vm_hwm_kb(pid: int) -> int:
	try:
		for line in Path(f"/proc/{pid}/status").read_text().splitlines():
			if line.startswith("VmHWM:"):
				return int(line.split()[1])
	except (FileNotFoundError, ProcessLookupError):
		pass
	return 0


def descendants(pid: int) -> list[int]:
	kids = []
	try:
		children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
	except FileNotFoundError:
		return kids
	for child in map(int, children):
		kids.append(child)
		kids.extend(descendants(child))
	return kids


def start_worker(log_path: Path) -> subprocess.Popen:
	"""A real RQ worker on the site's short queue (benchmarks/site_worker.py: `bench worker`, with
	the queue names of the site's own bench_id when it has one)."""
	sites = os.path.abspath(os.environ.get("FRAPPE_SITES_PATH", "."))
	env = {
		**os.environ,
		"PYTHONPATH": os.pathsep.join(filter(None, [str(HERE.parent), os.environ.get("PYTHONPATH")])),
	}
	cmd = [sys.executable, str(HERE / "site_worker.py"), frappe.local.site, "short"]
	return subprocess.Popen(
		cmd, cwd=sites, env=env, stdout=log_path.open("w"), stderr=subprocess.STDOUT, start_new_session=True
	)


def wait_until_idle(worker: subprocess.Popen, timeout: float = 1800) -> float:
	"""Until our worker is registered, its queue is empty and it is not busy; seconds waited."""
	from frappe.utils.background_jobs import get_queue
	from rq import Worker

	queue = get_queue("short")
	start = time.perf_counter()
	while time.perf_counter() - start < timeout:
		if worker.poll() is not None:
			sys.exit("the worker exited; see benchmarks/results/scale_worker.log")
		workers = Worker.all(queue=queue)
		if workers and queue.count == 0 and all(w.get_state() == "idle" for w in workers):
			return time.perf_counter() - start
		time.sleep(0.5)
	sys.exit("the worker did not get idle")


def bulk_approval(f, count: int, sales_user: str, approver: str, customers: list[str], item: str) -> dict:
	check_queue_is_ours(queue_state())
	log_path = HERE / "results" / "scale_worker.log"
	worker = start_worker(log_path)  # meanwhile it sends the approval e-mails the setup queues
	try:
		result = run_bulk_approval(f, worker, count, sales_user, approver, customers, item)
	finally:
		if worker.poll() is None:
			os.killpg(worker.pid, signal.SIGTERM)  # warm shutdown
			worker.wait(120)
	result["worker_log"] = str(log_path)
	return result


def run_bulk_approval(f, worker, count, sales_user, approver, customers, item) -> dict:
	from frappe.model.workflow import bulk_workflow_approval

	t_setup = time.perf_counter()
	names = []
	for i in range(count):
		frappe.set_user("Administrator")
		so = paid_order(f, customers[i % len(customers)], item)
		names.append(raise_request(f, so.name, sales_user))
		frappe.db.commit()
		if (i + 1) % 50 == 0:
			print(f"  {i + 1}/{count} pending requests ready", flush=True)
	setup_s = time.perf_counter() - t_setup
	frappe.set_user("Administrator")
	assert frappe.db.count(DOCTYPE, {"name": ("in", names), "workflow_state": "Pending Approval"}) == count
	drained_s = wait_until_idle(worker)  # the setup queued an approval e-mail per request: all sent first

	load_before = load()
	frappe.set_user(approver)
	t0 = time.perf_counter()
	bulk_workflow_approval(json.dumps(names), DOCTYPE, "Approve")  # enqueues one job (20-500 documents)
	frappe.db.commit()
	frappe.set_user("Administrator")

	peak_worker_kb = peak_horse_kb = 0
	posted = 0
	first_posted_at = None
	while True:
		for pid in descendants(worker.pid):
			peak_horse_kb = max(peak_horse_kb, vm_hwm_kb(pid))
		peak_worker_kb = max(peak_worker_kb, vm_hwm_kb(worker.pid))
		frappe.db.rollback()  # a fresh snapshot
		posted = frappe.db.count(DOCTYPE, {"name": ("in", names), "docstatus": 1})
		if posted and first_posted_at is None:
			first_posted_at = time.perf_counter() - t0
		if posted == count or worker.poll() is not None or time.perf_counter() - t0 > 3600:
			break
		time.sleep(0.2)
	wall_s = time.perf_counter() - t0
	load_after = load()

	frappe.db.rollback()
	rr = frappe.qb.DocType(DOCTYPE)
	states = (
		frappe.qb.from_(rr)
		.select(rr.status, Count(rr.name).as_("n"))
		.where(rr.name.isin(names))
		.groupby(rr.status)
	).run(as_dict=True)
	errors = frappe.db.count(
		"Error Log", {"creation": (">", frappe.utils.add_to_date(None, seconds=-int(wall_s) - 60))}
	)
	return {
		"requests": count,
		"posted": posted,
		"statuses": {s.status: s.n for s in states},
		"setup_s": round(setup_s, 1),
		"approval_emails_drained_first_s": round(drained_s, 1),
		"wall_s": round(wall_s, 1),
		"first_posted_after_s": round(first_posted_at or 0, 1),
		"refunds_per_minute": round(posted / wall_s * 60, 1),
		"seconds_per_refund": round(wall_s / max(posted, 1), 3),
		"worker_peak_rss_mb": round(peak_worker_kb / 1024, 1),
		"work_horse_peak_rss_mb": round(peak_horse_kb / 1024, 1),
		"error_logs_meanwhile": errors,
		"load_avg_before": load_before,
		"load_avg_after": load_after,
	}


# ---------------------------------------------------------------- main


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--levels", default="100,1000,10000")
	parser.add_argument("--rounds", type=int, default=15)
	parser.add_argument("--bulk", type=int, default=500)
	parser.add_argument("--skip-levels", action="store_true")
	parser.add_argument("--skip-bulk", action="store_true")
	parser.add_argument("--out", default=str(HERE / "results" / "scale.json"))
	args = parser.parse_args()
	(HERE / "results").mkdir(exist_ok=True)
	connect()
	from tests.integration import factories as f

	f.ensure_company()
	frappe.db.set_single_value("Print Settings", "send_print_as_pdf", 0)  # no wkhtmltopdf per e-mail
	sales_user, approver = ensure_users(f)
	customers = [f.make_customer() for _ in range(20)]
	item = f.make_item(stock_qty=100000)
	frappe.db.commit()

	out = Path(args.out)
	# a part skipped keeps its figures from the previous run
	result = json.loads(out.read_text()) if out.exists() and (args.skip_levels or args.skip_bulk) else {}
	result.update({"site": frappe.local.site, "frappe": frappe.__version__, "cpus": os.cpu_count()})
	if not args.skip_levels:
		levels = [int(x) for x in args.levels.split(",")]
		if total_requests() > levels[0]:
			print("removing generated refunds to start from the lowest level", bulk_data.cleanup())
		result["levels"] = []
		for level in levels:
			row = time_level(f, level, args.rounds, sales_user, approver, customers, item)
			result["levels"].append(row)
			print(
				f"level {level}: {row['per_refund']['median_s']:.3f} s median per refund ({row['existing_refunds']} requests on site)",
				flush=True,
			)
			out.write_text(json.dumps(result, indent=1, default=str))
		result["explain_at_last_level"] = explain_at_level(f)
		out.write_text(json.dumps(result, indent=1, default=str))
	if not args.skip_bulk:
		print(f"bulk approval of {args.bulk} requests: preparing", flush=True)
		result["bulk"] = bulk_approval(f, args.bulk, sales_user, approver, customers, item)
		out.write_text(json.dumps(result, indent=1, default=str))

	print()
	if result.get("levels"):
		print(
			f"{'existing refunds':>17}{'median s/refund':>17}{'p90 s':>9}{'raise s':>9}{'approve+post s':>16}{'load':>7}"
		)
		for row in result["levels"]:
			print(
				f"{row['existing_refunds']:>17}{row['per_refund']['median_s']:>17.3f}{row['per_refund']['p90_s']:>9.3f}"
				f"{row['raise_and_submit']['median_s']:>9.3f}{row['approve_and_post']['median_s']:>16.3f}{row['load_avg_after']:>7}"
			)
		e = result["explain_at_last_level"]
		print(
			f"our query shapes on the path: {e['our_shapes']}, reading a whole table: {len(e['our_scans'])}"
		)
	if result.get("bulk"):
		b = result["bulk"]
		print(
			f"bulk approval: {b['posted']}/{b['requests']} posted in {b['wall_s']} s = {b['refunds_per_minute']} refunds/min; "
			f"worker peak RSS {b['worker_peak_rss_mb']} MB, work horse {b['work_horse_peak_rss_mb']} MB"
		)
	print(f"written to {out}")
	frappe.destroy()


if __name__ == "__main__":
	main()
