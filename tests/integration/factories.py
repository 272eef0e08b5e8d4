"""Real ERPNext documents for integration tests, built with ERPNext's own mappers."""

from contextlib import contextmanager
from zoneinfo import ZoneInfo

import frappe
from frappe.utils import add_days, get_datetime, get_system_timezone, nowdate

COMPANY = "RM Test Company"
ABBR = "RMTC"
TAX_ACCOUNT = f"RM Output Tax - {ABBR}"
STORES = f"RM Stores - {ABBR}"
RETURNS = f"RM Returns - {ABBR}"
CUSTOMER_GROUP = "RM Test Customers"
ITEM_GROUP = "RM Test Items"
TERRITORY = "RM Test Territory"
TAX_RATE = 10.0
SALES_RETURNS = f"RM Sales Returns - {ABBR}"


def unique(prefix: str) -> str:
	return f"{prefix} {frappe.generate_hash(length=8)}"


def ensure_fiscal_year(year: int):
	"""A fiscal year for every company covering `year` (postings under a frozen clock need one)."""
	from frappe.utils import getdate

	start, end = getdate(f"{year}-01-01"), getdate(f"{year}-12-31")
	if not frappe.db.exists("Fiscal Year", {"year_start_date": start, "year_end_date": end}):
		frappe.get_doc({"doctype": "Fiscal Year", "year": f"RM {year}", "year_start_date": start, "year_end_date": end}).insert()


def ensure_company() -> str:
	this_year = frappe.utils.getdate().year
	for year in (this_year, this_year + 1):
		ensure_fiscal_year(year)
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
	_ensure(
		"Account",
		TAX_ACCOUNT,
		{
			"account_name": "RM Output Tax",
			"company": COMPANY,
			"parent_account": f"Duties and Taxes - {ABBR}",
			"account_type": "Tax",
			"tax_rate": TAX_RATE,
		},
	)
	_ensure(
		"Account",
		SALES_RETURNS,
		{"account_name": "RM Sales Returns", "company": COMPANY, "parent_account": f"Direct Income - {ABBR}"},
	)
	for warehouse in ("RM Stores", "RM Returns"):
		_ensure(
			"Warehouse",
			f"{warehouse} - {ABBR}",
			{"warehouse_name": warehouse, "company": COMPANY, "parent_warehouse": f"All Warehouses - {ABBR}"},
		)
	_ensure("Customer Group", CUSTOMER_GROUP, {"customer_group_name": CUSTOMER_GROUP, "parent_customer_group": "All Customer Groups"})
	_ensure("Item Group", ITEM_GROUP, {"item_group_name": ITEM_GROUP, "parent_item_group": "All Item Groups"})
	_ensure("Territory", TERRITORY, {"territory_name": TERRITORY, "parent_territory": "All Territories"})
	ensure_outgoing_email_account()
	settings = frappe.get_single("Refund Settings")
	row = settings.for_company(COMPANY) or settings.append("company_settings", {"company": COMPANY})
	if (row.return_warehouse, row.refund_account) != (RETURNS, SALES_RETURNS):
		row.return_warehouse, row.refund_account = RETURNS, SALES_RETURNS
		settings.save()
	return COMPANY


def ensure_outgoing_email_account():
	"""Notifications and workflow e-mails need a default outgoing account to be queued at all.

	Tests only queue (Frappe sends nothing while testing), so the server is never contacted.
	"""
	if frappe.db.get_value("Email Account", {"default_outgoing": 1, "enable_outgoing": 1}):
		return
	frappe.get_doc(
		{
			"doctype": "Email Account",
			"email_account_name": "RM Test Outgoing",
			"email_id": "refunds@example.com",
			"enable_outgoing": 1,
			"default_outgoing": 1,
			"smtp_server": "smtp.example.com",
			"no_smtp_authentication": 1,
		}
	).insert()


def _ensure(doctype: str, name: str, values: dict):
	if not frappe.db.exists(doctype, name):
		frappe.get_doc({"doctype": doctype, **values}).insert()


def make_customer(
	customer_group: str = CUSTOMER_GROUP, email: str | None = None, currency: str | None = None
) -> str:
	"""A customer; in a foreign currency it gets a receivable account in that currency; with
	`email`, ERPNext also makes it the customer's primary contact."""
	customer = frappe.get_doc(
		{
			"doctype": "Customer",
			"customer_name": unique("RM Customer"),
			"customer_group": customer_group,
			"territory": TERRITORY,
			"email_id": email,
		}
	)
	if currency:
		customer.default_currency = currency
		customer.append("accounts", {"company": COMPANY, "account": ensure_receivable(currency)})
	return customer.insert().name


def ensure_receivable(currency: str) -> str:
	frappe.db.set_value("Currency", currency, "enabled", 1)
	name = f"RM Debtors {currency} - {ABBR}"
	_ensure(
		"Account",
		name,
		{
			"account_name": f"RM Debtors {currency}",
			"company": COMPANY,
			"parent_account": f"Accounts Receivable - {ABBR}",
			"account_type": "Receivable",
			"account_currency": currency,
		},
	)
	return name


def make_item(
	stock_qty: float = 100,
	valuation_rate: float = 40,
	batch: bool = False,
	serial: bool = False,
	item_group: str = ITEM_GROUP,
) -> str:
	"""A stock item with stock in RM Stores; batched or serialised on request (series RMB-, RMS-)."""
	_ensure("Item Group", item_group, {"item_group_name": item_group, "parent_item_group": "All Item Groups"})
	item = frappe.get_doc(
		{
			"doctype": "Item",
			"item_code": unique("RM Item"),
			"item_group": item_group,
			"stock_uom": "Nos",
			"is_stock_item": 1,
			"valuation_rate": valuation_rate,
			"item_defaults": [{"company": COMPANY, "default_warehouse": STORES}],
			**({"has_batch_no": 1, "create_new_batch": 1, "batch_number_series": "RMB-.#####"} if batch else {}),
			**({"has_serial_no": 1, "serial_no_series": "RMS-.#####"} if serial else {}),
		}
	).insert()
	if stock_qty:
		from erpnext.stock.doctype.stock_entry.stock_entry_utils import make_stock_entry

		make_stock_entry(item_code=item.name, qty=stock_qty, to_warehouse=STORES, rate=valuation_rate, company=COMPANY)
	return item.name


def make_sales_order(
	customer: str,
	lines: list[tuple[str, float, float]],
	taxes: bool = True,
	submit: bool = True,
	currency: str = "USD",
	conversion_rate: float = 1.0,
):
	so = frappe.get_doc(
		{
			"doctype": "Sales Order",
			"company": COMPANY,
			"customer": customer,
			"transaction_date": nowdate(),
			"delivery_date": add_days(nowdate(), 7),
			"currency": currency,
			"conversion_rate": conversion_rate,
			"selling_price_list": "Standard Selling",
			"set_warehouse": STORES,
			"items": [
				{"item_code": item, "qty": qty, "rate": rate, "warehouse": STORES, "delivery_date": add_days(nowdate(), 7)}
				for item, qty, rate in lines
			],
			"taxes": [
				{
					"charge_type": "On Net Total",
					"account_head": TAX_ACCOUNT,
					"description": "Output Tax",
					"rate": TAX_RATE,
					"cost_center": f"Main - {ABBR}",
				}
			]
			if taxes
			else [],
		}
	)
	so.insert()
	if submit:
		so.submit()
	return so


def deliver(sales_order: str, qty_by_item: dict[str, float] | None = None):
	"""A submitted Delivery Note for the order (all open quantities, or the given ones per item)."""
	from erpnext.selling.doctype.sales_order.sales_order import make_delivery_note

	dn = make_delivery_note(sales_order)
	_set_quantities(dn, qty_by_item)
	dn.insert()
	dn.submit()
	return dn


def bill(sales_order: str, qty_by_item: dict[str, float] | None = None):
	from erpnext.selling.doctype.sales_order.sales_order import make_sales_invoice

	si = make_sales_invoice(sales_order)
	_set_quantities(si, qty_by_item)
	si.insert()
	si.submit()
	return si


def pay(doctype: str, name: str, amount: float | None = None):
	"""A submitted Payment Entry (Receive) against a Sales Invoice or, as an advance, a Sales Order."""
	from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

	pe = get_payment_entry(doctype, name, party_amount=amount, bank_account=f"Cash - {ABBR}")
	pe.reference_no = unique("REF")
	pe.reference_date = nowdate()
	pe.insert()
	pe.submit()
	return pe


# sold() takes deliver / bill / pay as flags: these names reach the functions inside it
_deliver, _bill, _pay = deliver, bill, pay


def sold(
	qty: float = 5,
	rate: float = 100.0,
	deliver: bool = True,
	bill: bool = True,
	pay: bool = True,
	customer_group: str = CUSTOMER_GROUP,
	item_group: str = ITEM_GROUP,
	valuation_rate: float = 40,
):
	"""A new customer's one-line order, delivered, billed and paid unless told otherwise."""
	customer = make_customer(customer_group=customer_group)
	item = make_item(valuation_rate=valuation_rate, item_group=item_group)
	so = make_sales_order(customer, [(item, qty, rate)])
	dn = _deliver(so.name) if deliver else None
	si = _bill(so.name) if bill else None
	if pay and si:
		_pay("Sales Invoice", si.name)
	return frappe._dict(customer=customer, item=item, so=so, dn=dn, si=si)


def return_delivery(delivery_note: str, qty_by_item: dict[str, float]):
	"""A return Delivery Note made in ERPNext directly (outside this app)."""
	from erpnext.stock.doctype.delivery_note.delivery_note import make_sales_return

	return _erpnext_return(make_sales_return, delivery_note, qty_by_item)


def credit_note(sales_invoice: str, qty_by_item: dict[str, float]):
	"""A Credit Note made in ERPNext directly (outside this app)."""
	from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return

	return _erpnext_return(make_sales_return, sales_invoice, qty_by_item)


def _erpnext_return(make_sales_return, source_name: str, qty_by_item: dict[str, float]):
	from refund_manager.posting import as_loaded

	ret = as_loaded(make_sales_return(source_name))  # as the Desk builds it
	_set_quantities(ret, {item: -abs(qty) for item, qty in qty_by_item.items()})
	ret.insert()
	ret.submit()
	return ret


def _set_quantities(doc, qty_by_item):
	if qty_by_item is None:
		return
	doc.items = [d for d in doc.items if d.item_code in qty_by_item]
	for d in doc.items:
		d.qty = qty_by_item[d.item_code]


def make_user(*roles: str) -> str:
	email = f"rm-{frappe.scrub(roles[0])}-{frappe.generate_hash(length=6)}@example.com"
	user = frappe.get_doc(
		{"doctype": "User", "email": email, "first_name": roles[0], "send_welcome_email": 0, "user_type": "System User"}
	)
	for role in roles:
		user.append("roles", {"role": role})
	user.insert(ignore_permissions=True)
	return user.name


def make_group(doctype: str, name: str, parent: str) -> str:
	"""A Customer Group or Item Group under `parent` (created once, kept for the session)."""
	field = {"Customer Group": "customer_group_name", "Item Group": "item_group_name"}[doctype]
	parent_field = f"parent_{frappe.scrub(doctype)}"
	_ensure(doctype, name, {field: name, parent_field: parent, "is_group": 1})
	return name


def refund_request_for(source_name: str, source_doctype: str = "Sales Order", reason: str = "Changed Mind"):
	"""The mapped draft (not saved), as the Create > Refund Request button gives it."""
	from refund_manager.api import make_refund_request

	doc = make_refund_request(source_name, source_doctype)
	doc.refund_reason = reason
	return doc


# ---------------------------------------------------------------- the approval workflow


def act(doc, action: str):
	"""Apply a workflow action as the current user, the way the Desk's Actions menu does.

	Like the Desk, the request goes over as data: Frappe works on a copy of its own (in tests the
	action e-mail renders that copy for print at once, which leaves it flagged `in_print`, so it
	must not be saved again). `doc` is reloaded afterwards.
	"""
	from frappe.model.workflow import apply_workflow

	apply_workflow(doc.as_dict(), action)
	doc.reload()
	return doc


def approve(doc):
	"""Submit for approval (unless already pending), then approve every level, as the current user
	(Administrator by default). Approval posts the refund."""
	if doc.workflow_state in (None, "", "Draft"):
		doc = act(doc, "Submit for Approval")
	while doc.docstatus == 0 and doc.workflow_state in ("Pending Approval", "Pending Finance Approval"):
		doc = act(doc, "Approve")
	return doc


def cancel(doc):
	"""Cancel an approved request through the workflow (its postings are reversed)."""
	return act(doc, "Cancel")


def reject(doc, reason: str):
	"""Reject as the current user, the reason given first as the form asks for it."""
	from refund_manager.approval import set_rejection_reason

	set_rejection_reason(doc.name, reason)
	return act(doc, "Reject")


def comment(doc, text: str):
	return doc.add_comment("Comment", text)


def set_approval_rules(*rules: dict, **settings):
	"""Replace the approval rules of Refund Settings (rolled back with the test)."""
	doc = frappe.get_single("Refund Settings")
	doc.set("approval_rules", [])
	for idx, rule in enumerate(rules, start=1):
		doc.append("approval_rules", {"rule_name": f"Rule {idx}", "priority": idx, **rule})
	doc.update(settings)
	doc.save()
	return doc


@contextmanager
def frozen_at(moment):
	"""Freeze the clock at `moment` (site time), the way Frappe's FrappeTestCase.freeze_time does:
	freezegun, given the moment in UTC."""
	from freezegun import freeze_time

	local = get_datetime(moment).replace(tzinfo=ZoneInfo(get_system_timezone()))
	with freeze_time(local.astimezone(ZoneInfo("UTC"))):
		yield
