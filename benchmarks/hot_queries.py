"""The SQL a refund runs, captured while it runs its real path, and what EXPLAIN says of each query.

`capture()` records every statement sent through `frappe.db.sql` (Frappe's query builder and ORM
go through it) with the first frame of the caller that is app code: refund_manager first, else
erpnext or frappe. `explain(calls)` runs EXPLAIN on each distinct SELECT / UPDATE / DELETE shape and
says which ones read a whole table (type ALL / index) instead of an index lookup.

Standalone, against a site with some refunds already on it (see benchmarks/scale.py):

    FRAPPE_SITE=refund.test ../env/bin/python /path/to/benchmarks/hot_queries.py [--all] [--json out.json]

takes one delivered, invoiced, paid order through a refund (map, save, submit for approval,
approve = post) and then cancels it, all rolled back; prints each query of refund_manager (with
--all: of every app) with its plan. Frappe's own recorder does the same for web requests; this one
works inside a script and attributes each query to our code.
"""

import argparse
import json
import os
import re
import sys
import traceback
from collections import OrderedDict
from contextlib import contextmanager
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import frappe

APPS = ("refund_manager", "erpnext", "frappe")
LITERAL = re.compile(r"'(?:[^'\\]|\\.)*'|\b\d+(?:\.\d+)?\b")
# a plan row reading more rows than this without an index is reported as a scan
SCAN_ROWS = 200


# Frappe's query plumbing: a query's author is the first frame outside these
PLUMBING = (
	"frappe/database/",
	"frappe/query_builder/",
	"frappe/model/db_query.py",
	"frappe/__init__.py",
	"frappe/model/qb_query.py",
)


def origin_of(stack) -> tuple[str, str, bool]:
	"""(app, 'file:line function', via_us) of the code that wrote the query: the innermost frame of
	app code outside Frappe's query plumbing; via_us when refund_manager is further up the stack."""
	author, via_us = ("?", "?"), False
	for f in reversed(stack):
		path = f.filename.replace("\\", "/")
		if "/site-packages/" in path or "/benchmarks/" in path or "/tests/" in path:
			continue
		app = next((a for a in APPS if f"/{a}/" in path), None)
		if not app:
			continue
		if app == "refund_manager":
			via_us = True
		if author[0] == "?" and not any(p in path for p in PLUMBING):
			short = path[path.rindex(f"/{app}/") + 1 :]
			author = (app, f"{short}:{f.lineno} {f.name}")
	return author[0], author[1], via_us


@contextmanager
def capture():
	"""Record (query, app, origin) of every statement run through frappe.db.sql meanwhile."""
	db = frappe.local.db
	original = db.sql
	calls: list[dict] = []

	def recording(query, *args, **kwargs):
		result = original(query, *args, **kwargs)
		if kwargs.get("run", True):
			app, where, via_us = origin_of(traceback.extract_stack()[:-1])
			query_text = str(getattr(db, "last_query", None) or query)
			calls.append({"query": query_text, "app": app, "origin": where, "via_refund_manager": via_us})
		return result

	db.sql = recording
	try:
		yield calls
	finally:
		del db.sql  # the instance attribute goes, the class method is back


def shape(query: str) -> str:
	return LITERAL.sub("?", " ".join(query.split()))


def explain(calls: list[dict], apps=("refund_manager",)) -> list[dict]:
	"""EXPLAIN each distinct query shape of the given apps; flag plans that read whole tables."""
	shapes: OrderedDict[str, dict] = OrderedDict()
	for call in calls:
		if call["app"] not in apps or not call["via_refund_manager"]:
			continue
		q = call["query"].lstrip()
		if not re.match(r"(?is)^(select|update|delete)\b", q):
			continue
		key = shape(q)
		if key in shapes:
			shapes[key]["count"] += 1
			continue
		shapes[key] = {"query": q, "shape": key, "app": call["app"], "origin": call["origin"], "count": 1}
	for entry in shapes.values():
		try:
			plan = frappe.db.sql(f"EXPLAIN {entry['query']}", as_dict=True)
		except Exception as e:  # a statement EXPLAIN does not take
			entry["plan"], entry["error"] = [], str(e)
			continue
		entry["plan"] = [
			{k: row.get(k) for k in ("table", "type", "possible_keys", "key", "rows", "Extra")}
			for row in plan
		]
		entry["scans"] = [
			row["table"]
			for row in entry["plan"]
			if row["type"] in ("ALL", "index")
			and int(row["rows"] or 0) > SCAN_ROWS
			and not str(row["table"]).startswith("<")  # MariaDB's own temporary tables (IN lists, subqueries)
		]
	return list(shapes.values())


def print_plans(entries: list[dict], only_scans: bool = False):
	for e in entries:
		if only_scans and not e.get("scans"):
			continue
		flag = "SCAN " + ",".join(e["scans"]) if e.get("scans") else "ok"
		print(f"\n[{flag}] x{e['count']} {e['app']} {e['origin']}")
		print("   " + e["shape"][:400])
		for row in e.get("plan", []):
			print(
				f"     {row['table']!s:<28} type={row['type']!s:<7} key={row['key']!s:<30} rows={row['rows']!s:<8} {row['Extra'] or ''}"
			)
		if e.get("error"):
			print("     EXPLAIN failed:", e["error"][:200])


def one_refund_round_trip(f) -> list[dict]:
	"""A paid order refunded through the app and cancelled again; the queries of the refund only."""
	customer = f.make_customer()
	item = f.make_item()
	so = f.make_sales_order(customer, [(item, 5, 100.0)])
	f.deliver(so.name)
	si = f.bill(so.name)
	f.pay("Sales Invoice", si.name)
	frappe.set_user("Administrator")
	with capture() as calls:
		doc = f.refund_request_for(so.name, reason="Wrong Item")
		doc.items[0].qty = 2
		doc.insert()
		f.approve(doc)
		assert doc.status == "Refunded", doc.status
		f.cancel(doc)
	return calls


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--all", action="store_true", help="explain the queries of every app, not only ours")
	parser.add_argument("--scans-only", action="store_true")
	parser.add_argument("--json", help="write the plans to this file")
	args = parser.parse_args()
	frappe.init(site=os.environ["FRAPPE_SITE"], sites_path=os.environ.get("FRAPPE_SITES_PATH", "."))
	frappe.connect()
	frappe.set_user("Administrator")
	from tests.integration import factories as f

	f.ensure_company()
	calls = one_refund_round_trip(f)
	entries = explain(calls, APPS if args.all else ("refund_manager",))
	print(f"{len(calls)} statements; {len(entries)} distinct SELECT/UPDATE/DELETE shapes explained")
	print_plans(entries, args.scans_only)
	scans = [e for e in entries if e.get("scans")]
	print(f"\n{len(scans)} shapes read a whole table (more than {SCAN_ROWS} rows without an index)")
	if args.json:
		Path(args.json).write_text(
			json.dumps({"statements": len(calls), "shapes": entries}, indent=1, default=str)
		)
	frappe.db.rollback()
	frappe.destroy()


if __name__ == "__main__":
	main()
