"""Reports on a large site: each report's answer time with 100,000 Refund Requests.

Generated refunds (benchmarks/bulk_data.py: refund_manager.demo's generator on the demo
company, plus postings and GL entries) are added until the site holds `--requests` of them; then each report
runs the way the Desk runs it (`frappe.desk.query_report.run`, as Administrator) with a few filter
sets an accountant or manager would use, `--repeat` times each. Run with the bench's Python from
the sites folder:

    FRAPPE_SITE=refund.test ../env/bin/python /path/to/benchmarks/reports.py \
        [--requests 100000] [--reports "Refund Ledger,Refund Analytics,Refund SLA Aging"] [--repeat 5]

Reports named but not on the site are listed as missing. Per-report filters beyond the common
ones can be given as JSON: --filters '{"Refund Analytics": {"group_by": "Reason"}}'. The plans of
each report's queries are written too (benchmarks/hot_queries.py), so a scan shows up by name.
Prints a table and writes benchmarks/results/reports.json. No pass/fail: figures only (the target
is under two seconds per report).
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
sys.path.insert(0, str(HERE))

import bulk_data
import frappe
import hot_queries
from frappe.utils import add_months, get_first_day, get_last_day, nowdate

DEFAULT_REPORTS = "Refund Ledger,Refund Analytics,Refund SLA Aging"
# filters a report needs besides the common ones (company, dates, customer), when it has them
REPORT_FILTERS = {
	"Refund Analytics": {"group_by": "Reason"},
}
TARGET_S = 2.0


def filter_sets(company: str, customer: str) -> dict[str, dict]:
	today = nowdate()
	last_month = add_months(today, -1)
	return {
		"one month": {
			"company": company,
			"from_date": str(get_first_day(last_month)),
			"to_date": str(get_last_day(last_month)),
		},
		"twelve months": {
			"company": company,
			"from_date": str(add_months(today, -12)),
			"to_date": today,
		},
		"one customer, twelve months": {
			"company": company,
			"from_date": str(add_months(today, -12)),
			"to_date": today,
			"customer": customer,
		},
	}


def run_report(name: str, filters: dict):
	"""As the Desk's report view asks for it (the method its request names is in form_dict)."""
	from frappe.desk.query_report import run

	frappe.form_dict.cmd = "frappe.desk.query_report.run"
	try:
		return run(name, filters=filters, ignore_prepared_report=True)
	finally:
		frappe.form_dict.pop("cmd", None)


def rows_of(result) -> int:
	return len([r for r in result.get("result") or [] if isinstance(r, dict | list | tuple)])


def time_report(name: str, filters: dict, repeat: int) -> dict:
	samples, rows, error = [], None, None
	frappe.clear_cache()  # the first run finds the site's caches empty, as after a deploy
	for _ in range(repeat):
		frappe.set_user("Administrator")  # a new request: request-local caches start empty
		start = time.perf_counter()
		try:
			result = run_report(name, filters)
		except Exception as e:
			error = f"{type(e).__name__}: {e}"
			break
		samples.append(time.perf_counter() - start)
		rows = rows_of(result)
		frappe.db.rollback()
	if not samples:
		return {"error": error}
	return {
		"rows": rows,
		"first_s": round(samples[0], 3),
		"median_s": round(statistics.median(samples[1:] or samples), 3),  # warm
		"max_s": round(max(samples), 3),
		"under_target": max(samples) < TARGET_S,
	}


def explain_report(name: str, filters: dict) -> list[dict]:
	with hot_queries.capture() as calls:
		run_report(name, filters)
	entries = hot_queries.explain(calls, ("refund_manager",))
	return [{k: e.get(k) for k in ("origin", "shape", "plan", "scans")} for e in entries]


def main():
	parser = argparse.ArgumentParser()
	parser.add_argument("--requests", type=int, default=100000, help="generated refunds on the site")
	parser.add_argument("--reports", default=DEFAULT_REPORTS)
	parser.add_argument("--repeat", type=int, default=5)
	parser.add_argument("--filters", default="{}", help="JSON: extra filters per report name")
	parser.add_argument("--out", default=str(HERE / "results" / "reports.json"))
	args = parser.parse_args()
	(HERE / "results").mkdir(exist_ok=True)
	frappe.init(site=os.environ["FRAPPE_SITE"], sites_path=os.environ.get("FRAPPE_SITES_PATH", "."))
	frappe.connect()
	frappe.set_user("Administrator")

	company = bulk_data.ensure_masters()
	missing = args.requests - bulk_data.existing_count()
	generated = bulk_data.make_refunds(missing) if missing > 0 else None
	if generated:
		print("generated", generated, flush=True)
	extra = {**REPORT_FILTERS, **json.loads(args.filters)}
	customer = frappe.db.get_value("Customer", {"customer_name": bulk_data.demo().CUSTOMERS[0]})
	sets = filter_sets(company, customer)
	names = [n.strip() for n in args.reports.split(",") if n.strip()]
	result = {
		"site": frappe.local.site,
		"frappe": frappe.__version__,
		"refund_requests_on_site": frappe.db.count("Refund Request"),
		"generated_requests": bulk_data.existing_count(),
		"generated_now": generated,
		"load_avg_before": round(os.getloadavg()[0], 2),
		"reports": {},
	}
	for name in names:
		if not frappe.db.exists("Report", name):
			result["reports"][name] = {"missing": True}
			continue
		timings = {}
		for label, filters in sets.items():
			timings[label] = time_report(name, {**filters, **extra.get(name, {})}, args.repeat)
			print(f"{name} / {label}: {timings[label]}", flush=True)
		plans = explain_report(name, {**sets["twelve months"], **extra.get(name, {})})
		result["reports"][name] = {"timings": timings, "queries": plans}
	result["load_avg_after"] = round(os.getloadavg()[0], 2)
	Path(args.out).write_text(json.dumps(result, indent=1, default=str))

	print(
		f"\n{result['refund_requests_on_site']} Refund Requests on the site ({result['generated_requests']} generated)"
	)
	print(
		f"{'report':<20}{'filters':<30}{'rows':>8}{'first s':>9}{'median s':>10}{'max s':>8}  < {TARGET_S:g} s"
	)
	for name, entry in result["reports"].items():
		if entry.get("missing"):
			print(f"{name:<20}not on this site")
			continue
		for label, t in entry["timings"].items():
			if "error" in t:
				print(f"{name:<20}{label:<30}  error: {t['error'][:80]}")
				continue
			print(
				f"{name:<20}{label:<30}{t['rows']:>8}{t['first_s']:>9.3f}{t['median_s']:>10.3f}{t['max_s']:>8.3f}  "
				f"{'yes' if t['under_target'] else 'NO'}"
			)
		scans = [q for q in entry["queries"] if q.get("scans")]
		print(f"{'':<20}queries: {len(entry['queries'])}, reading a whole table: {len(scans)}")
	print(f"load average {result['load_avg_before']} -> {result['load_avg_after']}; written to {args.out}")
	frappe.destroy()


if __name__ == "__main__":
	main()
