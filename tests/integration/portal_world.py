"""Committed data for the portal tests, which talk to a served site over HTTP (another process, so
nothing can be rolled back): two portal customers with their users and paid orders, a reason that
an approval rule auto-approves, and `remove()` to cancel and delete all of it afterwards.

Everything carries unique names; `remove()` finds what the tests (and the server) made from the
customers: Refund Requests and their postings, invoices, deliveries, orders, then the masters.
"""

import re
from dataclasses import dataclass, field

import frappe
from frappe.utils.password import update_password

from tests.integration import factories as f

PASSWORD = "Portal-Test-9x!"


@dataclass
class PortalCustomer:
	customer: str
	user: str
	order: str  # delivered, invoiced and paid: 10 x item 1 at 100, 4 x item 2 at 50, 10 % tax
	lines: dict[str, str]  # item code -> Sales Order Item name


@dataclass
class PortalWorld:
	a: PortalCustomer  # linked as a Portal User of the customer (ERPNext 15's link)
	b: PortalCustomer  # linked through a Contact whose User is them (the older link)
	items: list[str]
	auto_reason: str  # an approval rule auto-approves requests with this reason
	auto_rule: str
	staff_user: str  # a Sales User (desk)
	extra_users: list[str] = field(default_factory=list)

	@property
	def customers(self) -> list[str]:
		return [self.a.customer, self.b.customer]

	@property
	def users(self) -> list[str]:
		return [self.a.user, self.b.user, self.staff_user, *self.extra_users]


def portal_user(first_name: str) -> str:
	email = f"rm-portal-{first_name.lower()}-{frappe.generate_hash(length=6)}@example.com"
	frappe.get_doc(
		{
			"doctype": "User",
			"email": email,
			"first_name": first_name,
			"user_type": "Website User",
			"send_welcome_email": 0,
			"roles": [{"role": "Customer"}],
		}
	).insert(ignore_permissions=True)
	update_password(email, PASSWORD)
	return email


def link_as_portal_user(customer: str, user: str):
	doc = frappe.get_doc("Customer", customer)
	doc.append("portal_users", {"user": user})
	doc.save()


def link_through_contact(customer: str, user: str):
	frappe.get_doc(
		{
			"doctype": "Contact",
			"first_name": user.split("@")[0],
			"user": user,
			"email_ids": [{"email_id": user, "is_primary": 1}],
			"links": [{"link_doctype": "Customer", "link_name": customer}],
		}
	).insert(ignore_permissions=True)


def paid_order(customer: str, items: list[str]) -> tuple[str, dict[str, str]]:
	so = f.make_sales_order(customer, [(items[0], 10, 100.0), (items[1], 4, 50.0)])
	f.deliver(so.name)
	si = f.bill(so.name)
	f.pay("Sales Invoice", si.name)
	return so.name, {d.item_code: d.name for d in so.items}


def build() -> PortalWorld:
	"""Create and commit the world (as Administrator)."""
	frappe.set_user("Administrator")
	f.ensure_company()
	items = [f.make_item(stock_qty=200), f.make_item(stock_qty=200)]
	customers = []
	for first_name, link in (("Alice", link_as_portal_user), ("Bob", link_through_contact)):
		customer = f.make_customer()
		user = portal_user(first_name)
		link(customer, user)
		order, lines = paid_order(customer, items)
		customers.append(PortalCustomer(customer, user, order, lines))
	reason = frappe.get_doc(
		{"doctype": "Refund Reason", "reason": f.unique("RM Auto Reason"), "return_goods_by_default": 1}
	).insert()
	settings = frappe.get_single("Refund Settings")
	rule_name = f.unique("RM Portal Auto")
	settings.append(
		"approval_rules",
		{
			"rule_name": rule_name,
			"enabled": 1,
			"priority": 0,
			"outcome": "Auto Approve",
			"match_company": f.COMPANY,
			"match_refund_reason": reason.name,
		},
	)
	settings.save()
	world = PortalWorld(
		a=customers[0],
		b=customers[1],
		items=items,
		auto_reason=reason.name,
		auto_rule=rule_name,
		staff_user=f.make_user("Sales User"),
	)
	frappe.db.commit()
	return world


def sync():
	"""A fresh snapshot, to see what the server committed (the test process has written nothing)."""
	frappe.db.rollback()  # (prints are attached as HTML for the whole session: conftest.print_as_html)


def reject_as_admin(name: str, reason: str):
	"""An approver's rejection (as Administrator, in this process), committed for the server to see."""
	sync()
	f.reject(frappe.get_doc("Refund Request", name), reason)
	frappe.db.commit()


def approve_as_admin(name: str):
	sync()
	f.approve(frappe.get_doc("Refund Request", name))
	frappe.db.commit()


def image(fmt: str = "PNG") -> bytes:
	"""A real (tiny) image to attach: Frappe re-encodes JPEG uploads."""
	from io import BytesIO

	from PIL import Image

	out = BytesIO()
	Image.new("RGB", (8, 8), (200, 40, 40)).save(out, fmt)
	return out.getvalue()


# ------------------------------------------------------------------ cleanup


def remove(world: PortalWorld):
	"""Cancel and delete everything made for and by the portal tests, then commit."""
	frappe.db.rollback()
	frappe.set_user("Administrator")
	delete_ledgers = frappe.db.get_single_value("Accounts Settings", "delete_linked_ledger_entries")
	# ERPNext's own switch: deleting a cancelled voucher deletes its ledger entries too
	frappe.db.set_single_value("Accounts Settings", "delete_linked_ledger_entries", 1)
	try:
		remove_transactions(world)
		remove_masters(world)
	finally:
		frappe.db.set_single_value("Accounts Settings", "delete_linked_ledger_entries", delete_ledgers)
		frappe.db.commit()


def remove_transactions(world: PortalWorld):
	customers = world.customers
	requests = frappe.get_all(
		"Refund Request", filters={"customer": ("in", customers)}, pluck="name", order_by="creation desc"
	)
	for name in requests:
		doc = frappe.get_doc("Refund Request", name)
		if doc.docstatus == 1:
			f.cancel(doc)  # the workflow's Cancel reverses its postings
	# Frappe gives a deleted last name back to its series: nothing may point at a name used again
	references = {
		"Comment": ("reference_doctype", "reference_name"),
		"Version": ("ref_doctype", "docname"),
		"Workflow Action": ("reference_doctype", "reference_name"),
		"ToDo": ("reference_type", "reference_name"),
		"Email Queue": ("reference_doctype", "reference_name"),
		"Communication": ("reference_doctype", "reference_name"),
		"Notification Log": ("document_type", "document_name"),
	}
	for name in requests:
		queued = frappe.get_all(
			"Email Queue",
			filters={"reference_doctype": "Refund Request", "reference_name": name},
			pluck="name",
		)
		if queued:
			frappe.db.delete("Email Queue Recipient", {"parent": ("in", queued)})
		for doctype, (doctype_field, name_field) in references.items():
			frappe.db.delete(doctype, {doctype_field: "Refund Request", name_field: name})
		frappe.delete_doc("Refund Request", name, force=True, ignore_permissions=True)

	vouchers = []
	for doctype, party_field in (
		("Payment Entry", "party"),
		("Sales Invoice", "customer"),
		("Delivery Note", "customer"),
	):
		order = "is_return desc, creation desc" if doctype != "Payment Entry" else "creation desc"
		vouchers += [
			(doctype, n)
			for n in frappe.get_all(
				doctype, filters={party_field: ("in", customers)}, pluck="name", order_by=order
			)
		]
	jea = frappe.qb.DocType("Journal Entry Account")
	journals = (
		frappe.qb.from_(jea)
		.select(jea.parent)
		.distinct()
		.where(jea.party.isin(customers) & (jea.party_type == "Customer"))
	).run(pluck=True)
	vouchers = [("Journal Entry", n) for n in journals] + vouchers
	vouchers += [
		("Sales Order", n)
		for n in frappe.get_all("Sales Order", filters={"customer": ("in", customers)}, pluck="name")
	]
	sed = frappe.qb.DocType("Stock Entry Detail")
	stock_entries = (
		frappe.qb.from_(sed).select(sed.parent).distinct().where(sed.item_code.isin(world.items))
	).run(pluck=True)
	vouchers += [("Stock Entry", n) for n in stock_entries]
	for doctype, name in vouchers:
		if frappe.db.get_value(doctype, name, "docstatus") == 1:
			doc = frappe.get_doc(doctype, name)
			doc.flags.ignore_links = True
			doc.cancel()
	for doctype, name in vouchers:
		if frappe.db.exists(doctype, name):
			frappe.delete_doc(doctype, name, force=True, ignore_permissions=True)
	# what ledger rows the deletions left (Bins, valuation) for the test items
	for doctype in ("Stock Ledger Entry", "Bin", "Serial and Batch Bundle"):
		frappe.db.delete(doctype, {"item_code": ("in", world.items)})


def remove_masters(world: PortalWorld):
	settings = frappe.get_single("Refund Settings")
	settings.set("approval_rules", [r for r in settings.approval_rules if r.rule_name != world.auto_rule])
	settings.save()
	frappe.delete_doc_if_exists("Refund Reason", world.auto_reason, force=True)
	contacts = frappe.get_all("Contact", filters={"user": ("in", world.users)}, pluck="name")
	for name in contacts:
		frappe.delete_doc("Contact", name, force=True, ignore_permissions=True)
	for customer in world.customers:
		frappe.delete_doc("Customer", customer, force=True, ignore_permissions=True)
	for item in world.items:
		frappe.delete_doc("Item", item, force=True, ignore_permissions=True)
	for user in world.users:
		frappe.db.delete("Email Queue Recipient", {"recipient": user})
		# User.on_trash deletes these without `force`, which makes Frappe look up every dynamic
		# link to them (a query this bench's Frappe fails on): gone first, it skips them
		frappe.db.delete("Notification Settings", {"name": user})
		frappe.delete_doc("User", user, force=True, ignore_permissions=True)


# ------------------------------------------------------------------ HTTP


class PortalClient:
	"""A browser-less session against the served site: login, pages, API calls with the page's CSRF token."""

	CSRF = re.compile(r'frappe\.csrf_token = "([^"]+)"')

	def __init__(self, base_url: str):
		import requests

		self.base_url = base_url
		self.http = requests.Session()
		self.csrf_token = None

	def login(self, user: str, password: str = PASSWORD):
		response = self.http.post(f"{self.base_url}/api/method/login", data={"usr": user, "pwd": password})
		assert response.status_code == 200, response.text
		self.page("/refunds")  # as a browser would: a page gives the session its CSRF token
		return self

	def page(self, path: str, **params):
		response = self.http.get(f"{self.base_url}{path}", params=params or None)
		if match := self.CSRF.search(response.text):
			self.csrf_token = match.group(1)
		return response

	def get(self, path: str, **params):
		return self.http.get(
			f"{self.base_url}{path}", params=params or None, headers={"Accept": "application/json"}
		)

	def call(
		self, method: str, data: dict | None = None, files: list | None = None, http_method: str = "POST"
	):
		headers = {"Accept": "application/json", "X-Frappe-CSRF-Token": self.csrf_token or ""}
		return self.http.request(
			http_method, f"{self.base_url}/api/method/{method}", data=data, files=files, headers=headers
		)

	def resource(self, http_method: str, path: str, json: dict | None = None):
		headers = {"Accept": "application/json", "X-Frappe-CSRF-Token": self.csrf_token or ""}
		return self.http.request(
			http_method, f"{self.base_url}/api/resource/{path}", json=json, headers=headers
		)


def messages(response) -> str:
	"""The text of the messages Frappe sent with a response (for assertions on what the user reads)."""
	import json

	try:
		data = response.json()
	except ValueError:
		return response.text
	out = []
	for raw in json.loads(data.get("_server_messages") or "[]"):
		message = json.loads(raw).get("message")
		out += message if isinstance(message, list) else [message]
	return " ".join(re.sub(r"<[^>]+>", "", str(m)) for m in out) or str(data.get("exception") or "")
