"""Integration tests against a real Frappe 15 + ERPNext 15 site.

Run with the bench's Python, from the sites folder (or set FRAPPE_SITES_PATH):
    FRAPPE_SITE=refund.test ../env/bin/python -m pytest /path/to/refund_manager/tests/integration
Each test builds its own customer, items, stock and orders on a shared test company; the session
commits that company once and rolls each test back at its end.
"""

import os

import pytest

frappe = pytest.importorskip("frappe", reason="integration tests need frappe: run them with the bench's Python")


def pytest_report_header(config):
	import erpnext

	import refund_manager

	return (
		f"frappe {frappe.__version__}, erpnext {erpnext.__version__}, "
		f"refund_manager from {refund_manager.__file__}, site {os.environ.get('FRAPPE_SITE')}"
	)


@pytest.fixture(scope="session", autouse=True)
def site():
	site_name = os.environ.get("FRAPPE_SITE")
	if not site_name:
		pytest.exit("FRAPPE_SITE is not set: name the site the integration tests run against.", returncode=2)
	sites_path = os.environ.get("FRAPPE_SITES_PATH", ".")
	frappe.init(site=site_name, sites_path=sites_path)
	frappe.connect()
	# the suite makes many users (one per role and test); Frappe throttles more than 60 new users an hour,
	# which two runs in an hour reach once committed test users (portal, processes) are counted
	frappe.local.conf.throttle_user_limit = 1_000_000
	frappe.flags.in_test = True  # v15
	if hasattr(frappe, "in_test"):
		frappe.in_test = True  # v16
	if "refund_manager" not in frappe.get_installed_apps():
		pytest.exit(f"refund_manager is not installed on site {site_name}.", returncode=2)
	frappe.set_user("Administrator")
	# Frappe records the wizard per app (Installed Application), as refund_manager.demo asks it too;
	# System Settings' own flag is no longer set by it
	if not frappe.is_setup_complete():
		# ERPNext's before_tests completes the setup wizard (fiscal year, defaults, a first company)
		for method in frappe.get_hooks("before_tests", app_name="erpnext"):
			frappe.get_attr(method)()
		frappe.get_attr("refund_manager.install.after_migrate")()
		frappe.db.commit()
	yield site_name
	frappe.db.rollback()
	frappe.destroy()


@pytest.fixture(scope="session")
def company(site):
	from tests.integration import factories

	name = factories.ensure_company()
	frappe.db.commit()
	return name


@pytest.fixture(scope="session", autouse=True)
def print_as_html(site):
	"""The workflow's action e-mail attaches the request's print. A test bench serves no HTTP on the
	site's URL, so wkhtmltopdf cannot fetch the print's assets: attach it as HTML for the whole
	session, module fixtures included (they commit), and put the site's setting back at the end."""
	before = frappe.db.get_single_value("Print Settings", "send_print_as_pdf")
	frappe.db.set_single_value("Print Settings", "send_print_as_pdf", 0)
	frappe.db.commit()
	yield
	frappe.db.rollback()
	frappe.db.set_single_value("Print Settings", "send_print_as_pdf", before)
	frappe.db.commit()


@pytest.fixture(autouse=True)
def rollback_after_test(site, print_as_html):
	frappe.set_user("Administrator")
	yield
	frappe.set_user("Administrator")
	frappe.db.rollback()
	frappe.local.message_log = []
	# a cached copy of what the test saved would outlive the rollback
	frappe.clear_document_cache("Refund Settings", "Refund Settings")


# ------------------------------------------------------------------ a served site (portal tests)


def _free_port() -> int:
	import socket

	with socket.socket() as s:
		s.bind(("127.0.0.1", 0))
		return s.getsockname()[1]


@pytest.fixture(scope="session")
def served_site(site):
	"""`frappe serve` for FRAPPE_SITE on a free port, in a subprocess with this process's PYTHONPATH
	(so it runs the code under test); yields its base URL and stops it at the end of the session."""
	import subprocess
	import sys
	import tempfile
	import time

	import requests

	port = _free_port()
	sites_path = os.path.abspath(os.environ.get("FRAPPE_SITES_PATH", "."))
	log = tempfile.NamedTemporaryFile(prefix="refund_manager_serve_", suffix=".log", delete=False)
	command = [sys.executable, "-m", "frappe.utils.bench_helper", "frappe", "--site", site]
	command += ["serve", "--port", str(port), "--noreload"]
	server = subprocess.Popen(command, cwd=sites_path, env=os.environ.copy(), stdout=log, stderr=subprocess.STDOUT)
	base_url = f"http://127.0.0.1:{port}"
	deadline = time.monotonic() + 120
	while True:
		try:
			if requests.get(f"{base_url}/api/method/ping", timeout=5).status_code == 200:
				break
		except requests.ConnectionError:
			pass
		if server.poll() is not None or time.monotonic() > deadline:
			server.kill()
			pytest.fail(f"frappe serve did not start for {site} (log: {log.name})")
		time.sleep(0.5)
	yield base_url
	server.terminate()
	try:
		server.wait(timeout=20)
	except subprocess.TimeoutExpired:
		server.kill()


@pytest.fixture(scope="session")
def portal_world(company, served_site):
	"""Two portal customers with users and paid orders, committed for the served site to see;
	removed (cancelled and deleted) at the end of the session."""
	from tests.integration import portal_world as world_module

	world = world_module.build()
	yield world
	world_module.remove(world)
