"""Posting an approved Refund Request in ERPNext, with ERPNext's own documents and mappers.

`post_refund` runs while the request is submitted (approved): it reads the order's state (rows
locked), asks `core.posting_plan` which documents to make, checks that everything they need is set
up, then makes and submits them inside a savepoint: all of them, or none. Each document carries
`refund_request` and is listed in the request's `postings` table. `cancel_postings` reverses them.
"""

from contextlib import contextmanager
from dataclasses import dataclass, field

import frappe
from frappe import _
from frappe.utils import escape_html, flt, getdate, nowdate

from refund_manager import order_facts
from refund_manager.core.posting_plan import Plan, PlanError, RefundState, Step, plan_postings


class RefundPostingError(frappe.ValidationError):
	pass


class AlreadyPostedError(RefundPostingError):
	pass


class PostingSetupError(RefundPostingError):
	pass


@dataclass
class PostingContext:
	"""What the builders need, read once (the invoice row locked)."""

	cost_center: str | None
	delivery_notes: dict[str, list] = field(default_factory=dict)  # Delivery Note -> request rows
	invoice: frappe._dict | None = None
	advance_paid: float = 0.0
	receivable_account: str | None = None
	bank_account: str | None = None
	credit_note: str | None = None  # made by the Credit Note step, used by the steps after it
	refund_account: str | None = None  # returns / discount account of a price adjustment


# ---------------------------------------------------------------- posting


def post_refund(doc) -> Plan:
	"""Post every document the refund needs, or none (the savepoint is rolled back on any error)."""
	ensure_not_posted(doc)
	order_facts.link_latest_source_lines(doc)
	ctx = load_context(doc)
	plan = make_plan(doc, ctx)
	check_ready(doc, plan, ctx)

	savepoint = "refund_posting"
	frappe.db.savepoint(savepoint)
	try:
		with as_application():
			for step in plan.steps:
				BUILDERS[step](doc, plan, ctx)
	except Exception as e:
		if not isinstance(e, frappe.QueryDeadlockError):
			# (a deadlock has already rolled back the whole transaction, this savepoint with it)
			frappe.db.rollback(save_point=savepoint)
		doc.set("postings", [])
		if isinstance(e, frappe.QueryDeadlockError | frappe.QueryTimeoutError):
			raise  # another transaction held the same rows: RefundRequest.save asks to try again
		# deferred: the Error Log must outlive the rollback of the request that failed
		frappe.log_error(
			title=_("Refund {0} could not be posted").format(doc.name),
			reference_doctype=doc.doctype,
			reference_name=doc.name,
			defer_insert=True,
		)
		if isinstance(e, frappe.ValidationError):
			raise  # a clear message already
		frappe.throw(
			_("Refund {0} could not be posted and nothing was written: {1}. The details are in the Error Log.").format(
				frappe.bold(doc.name), escape_html(repr(e))
			),
			RefundPostingError,
			title=_("Refund Not Posted"),
		)
	doc.status = plan.status
	return plan


def ensure_not_posted(doc):
	"""Lock the request row; refuse when documents of this request are already posted."""
	frappe.db.get_value(doc.doctype, doc.name, "name", for_update=True)
	for doctype in POSTED_DOCTYPES:
		existing = frappe.db.get_value(doctype, {"refund_request": doc.name, "docstatus": 1}, "name")
		if existing:
			frappe.throw(
				_("Refund Request {0} is already posted ({1} {2}).").format(
					frappe.bold(doc.name), _(doctype), frappe.bold(existing)
				),
				AlreadyPostedError,
			)


def load_context(doc) -> PostingContext:
	ctx = PostingContext(cost_center=frappe.get_cached_value("Company", doc.company, "cost_center"))
	dn_lines = order_facts.source_lines("Delivery Note Item", [d.delivery_note_item for d in doc.items if d.delivery_note_item])
	for d in doc.items:
		if d.delivery_note_item in dn_lines:
			ctx.delivery_notes.setdefault(dn_lines[d.delivery_note_item].parent, []).append(d)

	si_lines = order_facts.source_lines("Sales Invoice Item", [d.sales_invoice_item for d in doc.items if d.sales_invoice_item])
	invoices = {line.parent for line in si_lines.values()}
	if len(invoices) > 1:
		frappe.throw(
			_("The lines of this refund are on several Sales Invoices ({0}): refund each invoice's lines in a request of its own.").format(
				", ".join(sorted(invoices))
			),
			PostingSetupError,
		)
	if invoices:
		ctx.invoice = frappe.db.get_value(
			"Sales Invoice",
			invoices.pop(),
			["name", "update_stock", "outstanding_amount", "debit_to"],
			as_dict=True,
			for_update=True,
		)
		ctx.receivable_account = ctx.invoice.debit_to
	else:
		from erpnext.accounts.party import get_party_account

		ctx.receivable_account = get_party_account("Customer", doc.customer, doc.company)
	ctx.advance_paid = flt(frappe.db.get_value("Sales Order", doc.sales_order, "advance_paid"))
	return ctx


def make_plan(doc, ctx: PostingContext) -> Plan:
	billed_rows = [d for d in doc.items if d.sales_invoice_item]
	state = RefundState(
		return_goods=bool(doc.return_goods),
		delivered_by_delivery_note=bool(ctx.delivery_notes),
		billed=bool(billed_rows),
		unbilled=len(billed_rows) < len(doc.items),
		invoice_updates_stock=bool(ctx.invoice and ctx.invoice.update_stock),
		invoice_outstanding=flt(ctx.invoice.outstanding_amount) if ctx.invoice else 0.0,
		advance_paid=ctx.advance_paid,
		credit_amount=flt(doc.items_total) + flt(doc.taxes_total),
		deductions=flt(doc.deductions_total),
		price_adjustment=doc.is_price_adjustment(),
	)
	try:
		return plan_postings(state, precision=doc.precision("refund_amount"))
	except PlanError as e:
		frappe.throw(plan_error_message(doc, e), PostingSetupError, title=_("Refund cannot be posted"))


def plan_error_message(doc, error: PlanError) -> str:
	return {
		"mixed_billing": _(
			"Some lines of this refund are invoiced and some are not: refund the invoiced and the not yet invoiced lines in separate requests."
		),
		"fees_above_credit": _("Deductions are larger than the items and taxes refunded."),
		"adjustment_unbilled": _("A price adjustment applies to invoiced lines only."),
		"nothing_paid": _("Sales Order {0} is neither invoiced nor paid: there is nothing to refund.").format(
			frappe.bold(doc.sales_order)
		),
	}[error.code]


def check_ready(doc, plan: Plan, ctx: PostingContext):
	"""Everything the plan's documents need, checked before anything is written."""
	missing = []
	if Step.STOCK_RETURN in plan.steps and not doc.return_warehouse:
		missing.append(_("a Return Warehouse on the request, or for company {0} in Refund Settings").format(doc.company))
	if plan.pay_amount > 0:
		if not doc.mode_of_payment:
			missing.append(_("a Mode of Payment on the request, or a default in Refund Settings"))
		else:
			ctx.bank_account = frappe.db.get_value(
				"Mode of Payment Account", {"parent": doc.mode_of_payment, "company": doc.company}, "default_account"
			)
			if not ctx.bank_account:
				missing.append(
					_("the default account of Mode of Payment {0} for company {1}").format(doc.mode_of_payment, doc.company)
				)
	if Step.ADJUSTMENT in plan.steps:
		company_settings = frappe.get_cached_doc("Refund Settings").for_company(doc.company)
		ctx.refund_account = company_settings.refund_account if company_settings else None
		if not ctx.refund_account:
			missing.append(_("the Refund / Sales Returns Account for company {0} in Refund Settings").format(doc.company))
	if not ctx.cost_center and (plan.fee_in_journal or plan.fee_in_payment or Step.ADJUSTMENT in plan.steps):
		missing.append(_("a default Cost Center for company {0}").format(doc.company))
	if missing:
		frappe.throw(
			_("Before this refund can be posted, set:") + "<ul>" + "".join(f"<li>{m}</li>" for m in missing) + "</ul>",
			PostingSetupError,
			title=_("Refund Setup Incomplete"),
		)
	check_books_open(doc, plan, ctx)


def check_books_open(doc, plan: Plan, ctx: PostingContext):
	"""Frozen accounts and closed accounting periods, named before anything is written."""
	posting_date = getdate(nowdate())
	frozen_upto = frappe.db.get_single_value("Accounts Settings", "acc_frozen_upto")
	if frozen_upto and posting_date <= getdate(frozen_upto):
		allowed_role = frappe.db.get_single_value("Accounts Settings", "frozen_accounts_modifier")
		if not allowed_role or allowed_role not in frappe.get_roles():
			frappe.throw(
				_("Accounts are frozen up to {0}: ask an accounts manager to move the date in Accounts Settings.").format(
					frappe.bold(frappe.format_value(frozen_upto, {"fieldtype": "Date"}))
				),
				PostingSetupError,
			)
	ap = frappe.qb.DocType("Accounting Period")
	cd = frappe.qb.DocType("Closed Document")
	closed = (
		frappe.qb.from_(ap)
		.join(cd)
		.on(cd.parent == ap.name)
		.select(ap.name, cd.document_type)
		.where(
			(ap.company == doc.company)
			& (ap.start_date <= posting_date)
			& (ap.end_date >= posting_date)
			& (cd.closed == 1)
			& cd.document_type.isin(list(_doctypes_of(plan)))
		)
		.run(as_dict=True)
	)
	if closed:
		frappe.throw(
			_("Accounting Period {0} is closed for {1}: reopen it or post the refund in an open period.").format(
				frappe.bold(closed[0].name), _(closed[0].document_type)
			),
			PostingSetupError,
		)
	for account in filter(None, [ctx.bank_account, ctx.receivable_account, *(d.account for d in doc.deductions)]):
		if frappe.get_cached_value("Account", account, "freeze_account") == "Yes":
			frappe.throw(_("Account {0} is frozen.").format(frappe.bold(account)), PostingSetupError)


def _doctypes_of(plan: Plan) -> set[str]:
	return {STEP_DOCTYPES[step] for step in plan.steps}


@contextmanager
def as_application():
	"""The app posts on approval: the approver needs no stock or accounts roles for it.

	frappe.set_user also replaces the session's sid and data and the request's form_dict; in a web
	request that session is what Frappe saves at the end, so all of it is put back afterwards.
	"""
	local = frappe.local
	if local.session.user == "Administrator":
		yield
		return
	saved_session, saved_form_dict = dict(local.session), local.form_dict
	frappe.set_user("Administrator")
	try:
		yield
	finally:
		frappe.set_user(saved_session["user"])
		local.session.update(saved_session)
		local.form_dict = saved_form_dict


# ---------------------------------------------------------------- builders


def make_stock_return(doc, plan: Plan, ctx: PostingContext):
	from erpnext.stock.doctype.delivery_note.delivery_note import make_sales_return

	for delivery_note, rows in ctx.delivery_notes.items():
		by_line = {d.delivery_note_item: d for d in rows}
		ret = as_loaded(make_sales_return(delivery_note))
		ret.items = [d for d in ret.items if d.dn_detail in by_line]
		for d in ret.items:
			set_returned_units(d, by_line[d.dn_detail])
			d.warehouse = doc.return_warehouse
		submit_posting(doc, ret)


def make_credit_note(doc, plan: Plan, ctx: PostingContext):
	from erpnext.accounts.doctype.sales_invoice.sales_invoice import make_sales_return

	by_line = {d.sales_invoice_item: d for d in doc.items}
	cn = as_loaded(make_sales_return(ctx.invoice.name))
	cn.items = [d for d in cn.items if d.sales_invoice_item in by_line]
	cn.update_stock = 1 if ctx.invoice.update_stock and doc.return_goods else 0
	for d in cn.items:
		set_returned_units(d, by_line[d.sales_invoice_item])
		if cn.update_stock:
			d.warehouse = doc.return_warehouse
	cn.update_outstanding_for_self = 0 if plan.credit_against_invoice else 1
	cn.disable_rounded_total = 1  # the refund is exact to the cent, not rounded to a whole unit
	cn.payments = []
	cn.is_pos = 0
	submit_posting(doc, cn, check_total=-(flt(doc.items_total) + flt(doc.taxes_total)))
	ctx.credit_note = cn.name


def make_reconcile_journal(doc, plan: Plan, ctx: PostingContext):
	"""Part of the credit settles what the customer still owes on the invoice."""
	je = new_journal_entry(doc, _("Credit of {0} set against what is still owed on {1}").format(ctx.credit_note, ctx.invoice.name))
	customer_line(je, doc, ctx, debit=plan.reconcile_amount, against=ctx.credit_note)
	customer_line(je, doc, ctx, credit=plan.reconcile_amount, against=ctx.invoice.name)
	submit_posting(doc, je, amount=plan.reconcile_amount)


def make_payment(doc, plan: Plan, ctx: PostingContext):
	"""Money back by Payment Entry (Pay) against the credit note.

	Amounts on the request are in its (the order's) currency, which is the customer account's
	currency; the bank amount and the deductions are converted at the order's exchange rate.
	"""
	from erpnext.accounts.doctype.payment_entry.payment_entry import get_payment_entry

	pe = get_payment_entry("Sales Invoice", ctx.credit_note, bank_account=ctx.bank_account)
	pe.mode_of_payment = doc.mode_of_payment
	pe.reference_no = doc.name
	pe.reference_date = nowdate()
	rate = flt(doc.conversion_rate) or 1.0  # request currency -> company currency
	pe.target_exchange_rate = rate
	pe.received_amount = plan.pay_amount  # into the customer's account, in the request's currency
	pe.paid_amount = flt(plan.pay_amount * rate / (flt(pe.source_exchange_rate) or 1.0), pe.precision("paid_amount"))
	if plan.fee_in_payment:
		for d in doc.deductions:
			# a Pay entry's deduction is negative: the fee is credited to its account (kept back)
			pe.append(
				"deductions",
				{
					"account": d.account,
					"cost_center": ctx.cost_center,
					"amount": -flt(flt(d.amount) * rate, pe.precision("paid_amount")),
					"description": d.description,
				},
			)
	pe.set_amounts()
	if pe.difference_amount and pe.deductions:
		pe.deductions[-1].amount -= pe.difference_amount  # rounding of the converted fees
		pe.set_amounts()
	pe.remarks = _("Refund {0} for Sales Order {1}").format(doc.name, doc.sales_order)
	submit_posting(doc, pe, amount=plan.pay_amount)


def make_adjustment_journal(doc, plan: Plan, ctx: PostingContext):
	"""Part of the price goes back: returns account and taxes debited, the customer credited.

	The credit first settles what is still owed on the invoice; the rest is paid back in the same
	voucher (customer debited, bank credited). ERPNext 15 lists no open journal credit for a Pay
	entry to allocate to, so a separate payment would be left for accountants to reconcile.
	"""
	je = new_journal_entry(doc, _("Price adjustment {0} on {1}").format(doc.name, ctx.invoice.name))
	je.voucher_type = "Credit Note"
	journal_line(je, doc, ctx.refund_account, debit=flt(doc.items_total), cost_center=ctx.cost_center)
	for account, amount in order_tax_shares(doc):
		journal_line(je, doc, account, debit=amount, cost_center=ctx.cost_center)
	append_fee_lines(je, doc, ctx)
	if plan.reconcile_amount:
		customer_line(je, doc, ctx, credit=plan.reconcile_amount, against=ctx.invoice.name)
	if plan.pay_amount:
		customer_line(je, doc, ctx, credit=plan.pay_amount)
		customer_line(je, doc, ctx, debit=plan.pay_amount)
		journal_line(je, doc, ctx.bank_account, credit=plan.pay_amount)
	submit_posting(doc, je, amount=flt(doc.refund_amount))


def order_tax_shares(doc) -> list[tuple[str, float]]:
	"""The request's taxes split over the order's tax accounts, pro rata to their amounts."""
	taxes = frappe.get_all(
		"Sales Taxes and Charges",
		filters={"parent": doc.sales_order, "parenttype": "Sales Order"},
		fields=["account_head", "tax_amount"],
		order_by="idx",
	)
	total = sum(flt(t.tax_amount) for t in taxes)
	if not total or not flt(doc.taxes_total):
		return []
	shares = [(t.account_head, flt(flt(doc.taxes_total) * flt(t.tax_amount) / total, 2)) for t in taxes]
	rounding = flt(flt(doc.taxes_total) - sum(a for _, a in shares), 2)
	shares[-1] = (shares[-1][0], flt(shares[-1][1] + rounding, 2))
	return shares


def make_advance_refund(doc, plan: Plan, ctx: PostingContext):
	"""The advance of an unbilled order goes back; fees stay as income (ERPNext refuses a debit
	linked to a Sales Order, so the customer line carries no order reference)."""
	je = new_journal_entry(doc, _("Advance refund {0} for Sales Order {1}").format(doc.name, doc.sales_order))
	customer_line(je, doc, ctx, debit=flt(doc.items_total) + flt(doc.taxes_total))
	if plan.pay_amount > 0:
		journal_line(je, doc, ctx.bank_account, credit=plan.pay_amount)
	append_fee_lines(je, doc, ctx)
	submit_posting(doc, je, amount=plan.pay_amount)


def make_fee_journal(doc, plan: Plan, ctx: PostingContext):
	"""Fees the customer still owes when no money (or not enough) goes out to carry them."""
	against = ctx.invoice.name if plan.credit_against_invoice else ctx.credit_note
	je = new_journal_entry(doc, _("Fees kept on refund {0}").format(doc.name))
	customer_line(je, doc, ctx, debit=plan.fee_in_journal, against=against)
	append_fee_lines(je, doc, ctx, total=plan.fee_in_journal)
	submit_posting(doc, je, amount=plan.fee_in_journal)


def append_fee_lines(je, doc, ctx: PostingContext, total: float | None = None):
	rows = [(d.account, flt(d.amount)) for d in doc.deductions if flt(d.amount)]
	if total is not None and rows and flt(total) != flt(sum(a for _, a in rows)):
		rows = [(rows[0][0], flt(total))]  # only part of the fees is left for the journal
	for account, amount in rows:
		journal_line(je, doc, account, credit=amount, cost_center=ctx.cost_center)


def customer_line(je, doc, ctx: PostingContext, debit: float = 0.0, credit: float = 0.0, against: str | None = None):
	extra = {"party_type": "Customer", "party": doc.customer}
	if against:
		extra.update(reference_type="Sales Invoice", reference_name=against)
	journal_line(je, doc, ctx.receivable_account, debit=debit, credit=credit, **extra)


def journal_line(je, doc, account: str, debit: float = 0.0, credit: float = 0.0, **extra):
	"""A Journal Entry line for an amount in the request's currency, in the account's currency."""
	from erpnext.accounts.utils import get_account_currency

	company_currency = frappe.get_cached_value("Company", doc.company, "default_currency")
	account_currency = get_account_currency(account)
	rate = flt(doc.conversion_rate) or 1.0
	if account_currency == doc.currency:
		factor, exchange_rate = 1.0, (1.0 if doc.currency == company_currency else rate)
	else:  # the account is in the company's currency
		factor, exchange_rate = rate, 1.0
	if account_currency != company_currency:
		je.multi_currency = 1
	je.append(
		"accounts",
		{
			"account": account,
			"account_currency": account_currency,
			"exchange_rate": exchange_rate,
			"debit_in_account_currency": flt(debit * factor, 2),
			"credit_in_account_currency": flt(credit * factor, 2),
			**extra,
		},
	)


def new_journal_entry(doc, remark: str):
	return frappe.get_doc(
		{
			"doctype": "Journal Entry",
			"voucher_type": "Journal Entry",
			"company": doc.company,
			"posting_date": nowdate(),
			"cheque_no": doc.name,
			"cheque_date": nowdate(),
			"user_remark": remark,
		}
	)


def set_returned_units(return_row, refund_row):
	"""Quantity, and for serialised items which serial numbers, of one return line.

	Batches follow ERPNext's return mapping. Serials: those named on the refund row (each must have
	been delivered on that line), else the first ones delivered.
	"""
	qty = flt(refund_row.qty)
	return_row.qty = -qty
	delivered = [s.strip() for s in (return_row.get("serial_no") or "").split("\n") if s.strip()]
	if not delivered:
		return
	chosen = [s.strip() for s in (refund_row.serial_no or "").replace(",", "\n").split("\n") if s.strip()]
	if chosen:
		unknown = sorted(set(chosen) - set(delivered))
		if unknown or len(chosen) != qty:
			frappe.throw(
				_("Row #{0}: name {1} serial numbers delivered on this line coming back ({2} given{3}).").format(
					refund_row.idx,
					frappe.bold(f"{qty:g}"),
					len(chosen),
					_(", not delivered: {0}").format(escape_html(", ".join(unknown))) if unknown else "",
				),
				PostingSetupError,
			)
	else:
		chosen = sorted(delivered)[: int(qty)]
	return_row.serial_no = "\n".join(chosen)


def as_loaded(mapped):
	"""The mapped return rebuilt as the Desk does it (from its JSON).

	Delivery Note and Sales Invoice add their return status updaters (returned_qty, per_returned)
	in __init__ only when is_return is already set; a document straight from make_sales_return was
	constructed before is_return was set.
	"""
	return frappe.get_doc(mapped.as_dict())


def submit_posting(doc, posting, amount: float | None = None, check_total: float | None = None):
	"""Insert and submit one posting, linked both ways; `amount` defaults to its grand total."""
	posting.refund_request = doc.name
	posting.flags.ignore_permissions = True
	posting.insert()
	if check_total is not None and flt(posting.grand_total, 2) != flt(check_total, 2):
		frappe.throw(
			_("{0} comes to {1} but the refund's items and taxes come to {2}: check the invoice's taxes (charges of type Actual are not refunded pro rata).").format(
				_(posting.doctype), posting.grand_total, check_total
			),
			RefundPostingError,
		)
	posting.submit()
	doc.append(
		"postings",
		{
			"reference_doctype": posting.doctype,
			"reference_name": posting.name,
			"amount": flt(posting.grand_total if amount is None else amount),
		},
	)


BUILDERS = {
	Step.STOCK_RETURN: make_stock_return,
	Step.CREDIT_NOTE: make_credit_note,
	Step.RECONCILE: make_reconcile_journal,
	Step.PAYMENT: make_payment,
	Step.ADVANCE_REFUND: make_advance_refund,
	Step.FEE_JOURNAL: make_fee_journal,
	Step.ADJUSTMENT: make_adjustment_journal,
}

STEP_DOCTYPES = {
	Step.STOCK_RETURN: "Delivery Note",
	Step.CREDIT_NOTE: "Sales Invoice",
	Step.RECONCILE: "Journal Entry",
	Step.PAYMENT: "Payment Entry",
	Step.ADVANCE_REFUND: "Journal Entry",
	Step.FEE_JOURNAL: "Journal Entry",
	Step.ADJUSTMENT: "Journal Entry",
}

POSTED_DOCTYPES = ("Delivery Note", "Sales Invoice", "Payment Entry", "Journal Entry")


# ---------------------------------------------------------------- cancelling


def check_cancellable(doc):
	"""A posting cancelled by hand leaves the request unable to reverse itself cleanly: say so."""
	for row in doc.postings:
		if frappe.db.get_value(row.reference_doctype, row.reference_name, "docstatus") == 2:
			frappe.throw(
				_("{0} {1} of this refund was cancelled by hand. Cancel the request's other postings by hand too, in reverse order, then cancel the request; or amend and re-post it.").format(
					_(row.reference_doctype), frappe.bold(row.reference_name)
				),
				RefundPostingError,
				title=_("Posting Cancelled by Hand"),
			)


def cancel_postings(doc):
	"""Cancel the postings in reverse order: payment before credit note before stock return."""
	with as_application():
		for row in reversed(doc.postings):
			posting = frappe.get_doc(row.reference_doctype, row.reference_name)
			if posting.docstatus == 1:
				posting.flags.ignore_permissions = True
				posting.cancel()
