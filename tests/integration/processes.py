"""Work run in separate operating-system processes, each with its own Frappe and database connection.

A job is a top-level function of this module, named by string (processes are spawned, not forked:
a forked child would share the parent's database socket). Each process initialises Frappe for the
site, connects, waits at a barrier so all jobs start together, runs its job, commits (or rolls
back on error) and reports an `Outcome`. The data a job needs must be committed beforehand.

An error counts as *clear* when it is a `frappe.ValidationError` (a message the user reads, HTTP
417) or a `frappe.PermissionError`; anything else (a raw database error, a deadlock or lock wait
that escaped, a Python error) is not.
"""

import multiprocessing
import time
import traceback
from dataclasses import dataclass

# a job retries this many times when told "try again" (RefundConflictError), as a user would
RETRIES = 6


@dataclass
class Outcome:
	index: int
	ok: bool
	value: object = None
	error_type: str | None = None  # module.Class of the error
	message: str = ""
	clear: bool = True
	attempts: int = 1
	conflicts: int = 0  # "try again" answers before the final outcome
	trace: str = ""


def run_in_processes(
	site: str, sites_path: str, jobs: list[tuple[str, tuple]], timeout: float = 300
) -> list[Outcome]:
	"""Run each (job name, args) in a process of its own, all released at once; their outcomes."""
	ctx = multiprocessing.get_context("spawn")
	barrier = ctx.Barrier(len(jobs))
	results = ctx.Queue()
	procs = [
		ctx.Process(
			target=_process_main, args=(site, sites_path, i, name, args, barrier, results), daemon=True
		)
		for i, (name, args) in enumerate(jobs)
	]
	for p in procs:
		p.start()
	outcomes: dict[int, Outcome] = {}
	deadline = time.monotonic() + timeout
	while len(outcomes) < len(procs) and time.monotonic() < deadline:
		try:
			outcome = results.get(timeout=1)
		except Exception:
			if all(not p.is_alive() for p in procs) and results.empty():
				break
			continue
		outcomes[outcome.index] = outcome
	for p in procs:
		p.join(timeout=max(1, deadline - time.monotonic()))
		if p.is_alive():
			p.kill()
	missing = [i for i in range(len(procs)) if i not in outcomes]
	assert not missing, f"processes {missing} hung or died without an answer"
	return [outcomes[i] for i in range(len(procs))]


def start_process(site: str, sites_path: str, name: str, args: tuple):
	"""One job in a process of its own, not waited for (the caller may kill it); the Process."""
	ctx = multiprocessing.get_context("spawn")
	results = ctx.Queue()
	proc = ctx.Process(target=_process_main, args=(site, sites_path, 0, name, args, None, results), daemon=True)
	proc.start()
	proc.results = results  # kept alive with the process (the child opens it after start)
	return proc


def _process_main(site, sites_path, index, name, args, barrier, results):
	import frappe

	frappe.init(site=site, sites_path=sites_path)
	frappe.connect()
	frappe.flags.in_test = True
	frappe.set_user("Administrator")
	attempts = conflicts = 0
	try:
		if barrier is not None:
			barrier.wait(timeout=120)
		job = globals()[name]
		while True:
			attempts += 1
			try:
				value = job(*args)
				frappe.db.commit()
				results.put(Outcome(index, True, value, attempts=attempts, conflicts=conflicts))
				return
			except Exception as e:
				frappe.db.rollback()
				frappe.local.message_log = []
				if _is_conflict(e) and attempts < RETRIES:
					conflicts += 1
					time.sleep(0.05 * attempts)
					continue
				raise
	except BaseException as e:
		results.put(
			Outcome(
				index,
				False,
				error_type=f"{type(e).__module__}.{type(e).__name__}",
				message=str(e),
				clear=isinstance(e, frappe.ValidationError | frappe.PermissionError),
				attempts=attempts,
				conflicts=conflicts,
				trace=traceback.format_exc(),
			)
		)
	finally:
		frappe.destroy()


def _is_conflict(e) -> bool:
	from refund_manager.refund_manager.doctype.refund_request.refund_request import RefundConflictError

	return isinstance(e, RefundConflictError)


# ---------------------------------------------------------------- jobs


def raise_and_approve(sales_order: str, qty: float):
	"""A request for `qty` of the order's first line, raised and approved (posted) at once."""
	from tests.integration import factories as f

	doc = f.refund_request_for(sales_order)
	doc.items = doc.items[:1]
	doc.items[0].qty = qty
	doc.insert()
	f.approve(doc)
	return doc.name


def approve(name: str):
	"""Approve a pending request (every level), as Administrator."""
	import frappe

	from tests.integration import factories as f

	doc = f.approve(frappe.get_doc("Refund Request", name))
	return doc.status


def approve_once(name: str):
	"""One click on Approve (as Administrator): refused once the request is no longer pending."""
	import frappe

	from tests.integration import factories as f

	return f.act(frappe.get_doc("Refund Request", name), "Approve").status


def bulk_approve(names: list[str], user: str):
	"""The body of the background job Frappe's bulk workflow action enqueues, run here directly."""
	import frappe
	from frappe.model.workflow import _bulk_workflow_action

	frappe.set_user(user)
	_bulk_workflow_action(names, "Refund Request", "Approve")
