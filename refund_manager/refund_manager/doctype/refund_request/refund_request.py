# Copyright (c) 2026, refund_manager developers
# For license information, please see license.txt

from contextlib import contextmanager

import frappe
import frappe.permissions
from frappe import _
from frappe.model.document import Document
from frappe.utils import cint, escape_html, flt

from refund_manager import approval, order_facts, policies, posting
from refund_manager.core import policy as policy_rules
from refund_manager.core.amounts import PricedRow, check_amounts, compute_totals, refundable_amount
from refund_manager.core.problems import Problem
from refund_manager.core.quantities import RequestedRow, check_rows, refundable_qty


class RefundRequestError(frappe.ValidationError):
	pass


class InvalidRefundSourceError(RefundRequestError):
	pass


class OverRefundError(RefundRequestError):
	pass


class RefundAmountError(RefundRequestError):
	pass


class MissingEvidenceError(RefundRequestError):
	pass


class PolicyViolationError(RefundRequestError):
	"""The request breaks a rule of its Refund Policy and no Refund Manager has overridden it."""


class PolicySetupError(RefundRequestError):
	pass


class RefundConflictError(RefundRequestError):
	"""Another transaction changed this order's refunds meanwhile: retrying is safe."""


# Sales Order states from which nothing may be refunded.
BLOCKED_ORDER_STATUSES = ("Closed", "Cancelled")


class RefundRequest(Document):
	# begin: auto-generated types
	# This code is auto-generated. Do not modify anything in this block.

	from typing import TYPE_CHECKING

	if TYPE_CHECKING:
		from frappe.types import DF

		from refund_manager.refund_manager.doctype.refund_deduction.refund_deduction import RefundDeduction
		from refund_manager.refund_manager.doctype.refund_posting.refund_posting import RefundPosting
		from refund_manager.refund_manager.doctype.refund_request_item.refund_request_item import (
			RefundRequestItem,
		)

		amended_from: DF.Link | None
		appeal_count: DF.Int
		approval_level: DF.Int
		approved_on: DF.Datetime | None
		base_refund_amount: DF.Currency
		company: DF.Link
		contact_email: DF.Data | None
		conversion_rate: DF.Float
		currency: DF.Link
		customer: DF.Link
		customer_name: DF.Data | None
		deductions: DF.Table[RefundDeduction]
		deductions_total: DF.Currency
		delivery_note: DF.Link | None
		description: DF.SmallText | None
		escalated: DF.Check
		feedback_comment: DF.SmallText | None
		feedback_on: DF.Datetime | None
		feedback_rating: DF.Rating
		items: DF.Table[RefundRequestItem]
		items_total: DF.Currency
		manual_review: DF.Check
		matched_rule: DF.Data | None
		mode_of_payment: DF.Link | None
		naming_series: DF.Literal["RFR-.YYYY.-"]
		overridden_by: DF.Link | None
		overridden_violations: DF.SmallText | None
		override_justification: DF.SmallText | None
		policy_override: DF.Check
		policy_violations: DF.SmallText | None
		posting_date: DF.Date
		postings: DF.Table[RefundPosting]
		refund_amount: DF.Currency
		refund_policy: DF.Link | None
		refund_reason: DF.Link
		refund_type: DF.Literal["Return", "Price Adjustment"]
		refunded_on: DF.Datetime | None
		rejected_on: DF.Datetime | None
		rejection_reason: DF.SmallText | None
		requested_on: DF.Datetime | None
		return_goods: DF.Check
		return_warehouse: DF.Link | None
		risk_flags: DF.SmallText | None
		sales_invoice: DF.Link | None
		sales_order: DF.Link
		shipping_amount: DF.Currency
		sla_due_by: DF.Datetime | None
		sla_status: DF.Literal["", "On Track", "Due Soon", "Breached", "Paused"]
		status: DF.Literal[
			"Draft",
			"Pending Approval",
			"Pending Finance Approval",
			"Approved",
			"Rejected",
			"Credited",
			"Refunded",
			"Cancelled",
		]
		taxes_total: DF.Currency
		workflow_state: DF.Link | None
	# end: auto-generated types

	def save(self, *args, **kwargs):
		"""Lock the Sales Order before Frappe locks this request's own row (check_if_latest).

		Every writer of an order's requests takes the order first, so two of them wait in turn
		instead of deadlocking on each other's request rows (validate reads them with locks).
		"""
		with database_conflicts_as_try_again(self):
			if self.sales_order and not self.is_new():
				order_facts.lock_sales_order(self.sales_order)
				if order_facts.requests_changed_since_snapshot(self.sales_order):
					frappe.throw(
						_("Another refund on Sales Order {0} was saved at the same moment. Please try again.").format(
							frappe.bold(self.sales_order)
						),
						RefundConflictError,
						title=_("Try Again"),
					)
			return super().save(*args, **kwargs)

	def insert(self, *args, **kwargs):
		with database_conflicts_as_try_again(self):
			return super().insert(*args, **kwargs)

	def _validate_links(self):
		"""Frappe's link check, after refusing values no document can be named: Frappe's own
		"Could not find" message would show them unescaped (HTML typed into a link field)."""
		refuse_unnamable_links(self)
		super()._validate_links()

	def load_doc_before_save(self, *, raise_exception: bool = False):
		"""Frappe's, with this request's row locked but its child rows read without locks.

		Frappe reads the saved copy with `SELECT ... FOR UPDATE` on every child table too. The
		postings table of a request being approved is still empty, so that locking read takes the gap
		at the end of the table's parent index, where every other refund's postings are inserted:
		two approvals at once (any orders) then deadlock on it and on the naming series of the
		documents they post. The child rows are only ever written through a save of this row, which
		is locked here, so reading them plainly is safe while the snapshot is current: save() has
		checked the order's requests against it, and when this row still differs, Frappe's own
		locking read is used.
		"""
		if self.is_new():
			return super().load_doc_before_save(raise_exception=raise_exception)
		latest = frappe.db.get_value(self.doctype, self.name, ["modified", "docstatus"], as_dict=True, for_update=True)
		before = frappe.get_doc(self.doctype, self.name) if latest else None
		if not before or str(before.modified) != str(latest.modified) or before.docstatus != latest.docstatus:
			return super().load_doc_before_save(raise_exception=raise_exception)
		self._doc_before_save = before

	def validate(self):
		self.validate_order_access()
		self.compute_refund(for_update=True)
		self.check_policy_rules()
		self.set_risk_flags()
		approval.validate(self)  # routing (risk flags force a person), workflow transition checks, SLA
		self.set_status()

	def compute_refund(self, for_update: bool = False):
		"""Everything the breakdown shows, checked against the order; writes nothing.

		`refund_manager.api.preview_refund` runs these steps alone, on a request not saved.
		"""
		facts = self.load_order_facts(for_update=for_update)
		self.validate_sales_order(facts)
		self.validate_refund_reason()
		self.validate_source_documents()
		self.set_item_values(facts)
		self.select_refund_policy()
		self.set_defaults()
		self.validate_price_adjustment(facts)
		self.validate_quantities(facts)
		self.calculate_totals(facts)
		self.apply_policy_fees(facts)
		self.validate_deductions()
		self.validate_refund_amount(facts)

	def on_update(self):
		self.comment_policy_override()
		approval.on_update(self)

	def on_change(self):
		approval.on_change(self)  # after Frappe's inbox has run (its on_update hook)

	def before_submit(self):
		self.validate_evidence()
		self.post_refund()
		approval.stamp_refunded(self)

	def before_cancel(self):
		approval.before_cancel(self)
		posting.check_cancellable(self)

	def on_cancel(self):
		posting.cancel_postings(self)
		self.set_status(update=True)

	def post_refund(self):
		"""Approval posts the stock return and the accounting entries (see refund_manager.posting)."""
		posting.post_refund(self)

	def has_permission(self, permtype="read", *, debug=False, user=None) -> bool:
		"""Role permissions, or the workflow's own transition: it lets a Sales User submit by rule
		(auto-approval) and a portal customer submit or appeal their request
		(approval.permitted_by_workflow)."""
		if self.flags.ignore_permissions:
			return True
		# quietly first: a refusal the workflow overrules must leave no "no access" message behind
		if frappe.permissions.has_permission(
			self.doctype, permtype, self, debug=debug, user=user, raise_exception=False
		) or approval.permitted_by_workflow(self, permtype, user):
			return True
		return super().has_permission(permtype, debug=debug, user=user)  # refused: Frappe says why

	# ------------------------------------------------------------------ loading

	def load_order_facts(self, for_update: bool = False) -> order_facts.OrderFacts:
		"""The order's facts, its row locked when checking (so concurrent checks run one by one)."""
		if not self.sales_order:
			# validate() runs before Frappe's mandatory check: say what is missing plainly
			frappe.throw(_("Select the Sales Order to refund."), InvalidRefundSourceError)
		facts = order_facts.load(
			self.sales_order, exclude_request=None if self.is_new() else self.name, for_update=for_update
		)
		if not facts:
			frappe.throw(
				_("Sales Order {0} does not exist.").format(frappe.bold(self.sales_order)),
				InvalidRefundSourceError,
				title=_("Invalid Sales Order"),
			)
		return facts

	# ------------------------------------------------------------------ validation steps

	def validate_order_access(self):
		"""Whoever raises a request, or moves it to another order, may read that order: a user
		limited to some customers can neither refund another customer's order nor learn about it
		from the messages. Approvers act on the request, not the order, and need no access to it."""
		if self.flags.ignore_permissions or not self.sales_order:
			return
		if not (self.is_new() or self.has_value_changed("sales_order")):
			return
		if frappe.db.exists("Sales Order", self.sales_order) and not frappe.has_permission(
			"Sales Order", "read", self.sales_order
		):
			frappe.throw(
				_("You are not permitted to refund Sales Order {0}.").format(frappe.bold(escape_html(self.sales_order))),
				frappe.PermissionError,
			)

	def validate_sales_order(self, facts: order_facts.OrderFacts):
		if facts.docstatus != 1 or facts.status in BLOCKED_ORDER_STATUSES:
			frappe.throw(
				_("Sales Order {0} must be submitted and not cancelled or closed (it is {1}).").format(
					frappe.bold(self.sales_order), _(facts.status or "Draft")
				),
				InvalidRefundSourceError,
				title=_("Invalid Sales Order"),
			)
		for fieldname, expected in (
			("customer", facts.customer),
			("company", facts.company),
			("currency", facts.currency),
		):
			if not self.get(fieldname):
				self.set(fieldname, expected)
			elif self.get(fieldname) != expected:
				frappe.throw(
					_("{0} {1} does not match Sales Order {2}, which has {3}.").format(
						_(self.meta.get_label(fieldname)),
						frappe.bold(self.get(fieldname)),
						frappe.bold(self.sales_order),
						frappe.bold(expected),
					),
					InvalidRefundSourceError,
					title=_("Mismatch with Sales Order"),
				)
		self.conversion_rate = facts.conversion_rate

	def validate_refund_reason(self):
		if self.refund_reason and reason_flag(self.refund_reason, "disabled"):
			frappe.throw(
				_("Refund Reason {0} is disabled.").format(frappe.bold(self.refund_reason)),
				RefundRequestError,
			)

	def set_defaults(self):
		settings = frappe.get_cached_doc("Refund Settings")
		if not self.mode_of_payment and self.refund_policy:
			self.mode_of_payment = frappe.db.get_value(
				"Refund Policy", self.refund_policy, "default_mode_of_payment"
			)
		if not self.mode_of_payment:
			self.mode_of_payment = settings.default_mode_of_payment
		if self.return_goods and not self.return_warehouse:
			company_settings = settings.for_company(self.company)
			if company_settings and company_settings.return_warehouse:
				self.return_warehouse = company_settings.return_warehouse

	def validate_source_documents(self):
		"""Delivery Note, Sales Invoice and their lines must belong to this order."""
		for doctype, fieldname, row_field in (
			("Delivery Note", "delivery_note", "delivery_note_item"),
			("Sales Invoice", "sales_invoice", "sales_invoice_item"),
		):
			child_doctype = f"{doctype} Item"
			links = order_facts.source_lines(
				child_doctype, [d.get(row_field) for d in self.items if d.get(row_field)]
			)
			for d in self.items:
				name = d.get(row_field)
				if not name:
					continue
				line = links.get(name)
				if not line or line.docstatus != 1 or line.is_return or line.so_detail != d.sales_order_item:
					frappe.throw(
						_("Row #{0}: {1} line {2} is not a submitted line of Sales Order {3} for this item.").format(
							d.idx, _(doctype), frappe.bold(escape_html(name)), frappe.bold(self.sales_order)
						),
						InvalidRefundSourceError,
						title=_("Invalid Source Line"),
					)
			header = self.get(fieldname)
			if header:
				# a line just checked that is on the header was read with its header's values
				self.validate_source_header(doctype, header, next((l for l in links.values() if l.parent == header), None))
			else:
				self.set(fieldname, next((links[n].parent for n in links), None))

	def validate_source_header(self, doctype: str, name: str, checked_line: dict | None = None):
		"""The Delivery Note / Sales Invoice is a submitted, non-return one of this order and customer.

		`checked_line`: a line of it already found to be a line of this order (it was read joined to
		its header): then nothing more is read."""
		if checked_line:
			values, belongs = checked_line, True
		else:
			values = frappe.db.get_value(doctype, name, ["docstatus", "is_return", "customer"], as_dict=True)
			order_field = order_facts.SOURCE_LINE_DOCTYPES[f"{doctype} Item"][1]
			belongs = values and frappe.db.exists(
				f"{doctype} Item", {"parent": name, "parenttype": doctype, order_field: self.sales_order}
			)
		if not belongs or values.docstatus != 1 or values.is_return or values.customer != self.customer:
			frappe.throw(
				_("{0} {1} is not a submitted {0} of Sales Order {2} for customer {3}.").format(
					_(doctype), frappe.bold(name), frappe.bold(self.sales_order), frappe.bold(self.customer)
				),
				InvalidRefundSourceError,
				title=_("Invalid Source Document"),
			)

	def set_item_values(self, facts: order_facts.OrderFacts):
		"""Item, rate, tax and the refundable limit always come from the order, never from the client."""
		for d in self.items:
			priced = facts.lines.get(d.sales_order_item)
			if not priced:
				continue  # reported by validate_quantities
			d.item_code = priced.item_code
			d.item_name = priced.item_name
			d.uom = priced.uom
			d.warehouse = d.warehouse or priced.warehouse
			if not (self.is_price_adjustment() and flt(d.rate)):
				d.rate = priced.rate  # a return gives back the order's rate; an adjustment what is typed
			d.max_refundable_qty = refundable_qty(priced.line, bool(self.return_goods))

	def is_price_adjustment(self) -> bool:
		return self.refund_type == "Price Adjustment"

	def validate_price_adjustment(self, facts: order_facts.OrderFacts):
		"""Part of the price goes back per unit: no goods move, only invoiced lines, at most the rate."""
		if not self.is_price_adjustment():
			return
		self.return_goods = 0
		for d in self.items:
			priced = facts.lines.get(d.sales_order_item)
			if not priced:
				continue
			if not d.sales_invoice_item:
				frappe.throw(
					_("Row #{0}: a price adjustment applies to invoiced lines; {1} is not invoiced yet.").format(
						d.idx, frappe.bold(d.item_code)
					),
					RefundAmountError,
				)
			if flt(d.rate) <= 0 or flt(d.rate, self.precision("rate", d)) > flt(priced.rate, self.precision("rate", d)):
				frappe.throw(
					_("Row #{0}: the adjustment per unit must be more than 0 and at most the order's rate {1}.").format(
						d.idx, frappe.bold(frappe.format_value(priced.rate, d.meta.get_field("rate"), d))
					),
					RefundAmountError,
				)

	def validate_quantities(self, facts: order_facts.OrderFacts):
		rows = [RequestedRow(d.idx, d.sales_order_item, flt(d.qty)) for d in self.items]
		problems = check_rows(
			rows, facts.order_lines, bool(self.return_goods), precision=self.items_precision("qty")
		)
		throw_problems(self, problems, OverRefundError)

	def calculate_totals(self, facts: order_facts.OrderFacts):
		precision = self.precision("refund_amount")
		self._totals = compute_totals(
			[PricedRow(flt(d.qty), flt(d.rate), self.unit_tax(facts, d)) for d in self.items],
			[flt(d.amount) for d in self.deductions],
			precision,
			rounder=flt,
		)
		for d, row in zip(self.items, self._totals.rows, strict=True):
			d.amount = row.amount
			d.tax_amount = row.tax_amount
		self.items_total = self._totals.items_total
		self.taxes_total = self._totals.taxes_total
		self.deductions_total = self._totals.deductions_total
		self.refund_amount = self._totals.refund_amount
		self.base_refund_amount = flt(self.refund_amount * flt(self.conversion_rate or 1), precision)
		self.shipping_amount = flt(
			sum(flt(d.qty) * self.unit_shipping(facts, d) for d in self.items), self.precision("shipping_amount")
		)

	@staticmethod
	def unit_shipping(facts: order_facts.OrderFacts, row) -> float:
		"""Of the unit taxes, the shipping charges' share (scaled like the taxes)."""
		return RefundRequest.scaled_to_rate(facts, row, "unit_shipping")

	@staticmethod
	def unit_tax(facts: order_facts.OrderFacts, row) -> float:
		"""The order line's taxes per unit, scaled to the rate given back (all of it on a return)."""
		return RefundRequest.scaled_to_rate(facts, row, "unit_tax")

	@staticmethod
	def scaled_to_rate(facts: order_facts.OrderFacts, row, per_unit: str) -> float:
		priced = facts.lines.get(row.sales_order_item)
		if not priced or not priced.rate:
			return 0.0
		return getattr(priced, per_unit) * flt(row.rate) / priced.rate

	# ------------------------------------------------------------------ refund policy

	def select_refund_policy(self):
		"""The policy this request is judged by (recorded on it; see refund_manager.core.policy)."""
		self._policy = policies.select_for(self) if self.items else None
		self.refund_policy = self._policy.name if self._policy else None

	def apply_policy_fees(self, facts: order_facts.OrderFacts):
		"""Restocking fee and non-refundable shipping as deduction rows; hand edits by the right role kept."""
		policy = self._policy
		precision = self.precision("deductions_total")
		computed = policy_rules.fees(
			policy,
			self.refund_reason,
			bool(self.return_goods) and not self.is_price_adjustment(),
			flt(self.items_total),
			flt(self.shipping_amount),
			precision,
		)
		before = self.get_doc_before_save()
		saved = {d.name: d for d in before.deductions} if before else {}
		rows = [
			policy_rules.FeeRow(
				d.deduction_type,
				flt(d.amount),
				# untouched rows repeat what was saved, or what the server computed for a new row
				flt(saved[d.name].amount) if d.name in saved else flt(d.computed_amount),
				bool(saved[d.name].edited) if d.name in saved else False,
			)
			for d in self.deductions
			if d.deduction_type in policy_rules.FEE_TYPES
		]
		decisions, problems = policy_rules.merge_fee_rows(rows, computed, policies.may_edit_fees(), precision)
		if problems:
			frappe.throw(
				_("Only a Refund Manager or Refund Approver may change the {0} set by Refund Policy {1}.").format(
					_(problems[0].values["type"]), frappe.bold(self.refund_policy or "")
				),
				frappe.PermissionError,
				title=_("Not Permitted"),
			)
		fees = {fee.deduction_type: fee for fee in computed}
		kept = [d for d in self.deductions if d.deduction_type not in policy_rules.FEE_TYPES]
		existing = {d.deduction_type: d for d in reversed(self.deductions)}
		for decision in decisions:
			row = existing.get(decision.deduction_type) or frappe.new_doc("Refund Deduction")
			fee = fees.get(decision.deduction_type)
			row.deduction_type = decision.deduction_type
			row.amount = decision.amount
			row.computed_amount = decision.computed
			row.edited = int(decision.edited)
			if fee:
				row.description = policies.fee_description(policy.name, fee, self.currency)
			row.account = self.fee_account(decision.deduction_type, facts) or row.account
			kept.append(row)
		if [id(d) for d in kept] != [id(d) for d in self.deductions]:
			self.set("deductions", kept)
		self.calculate_totals(facts)

	def fee_account(self, deduction_type: str, facts: order_facts.OrderFacts) -> str | None:
		if deduction_type == policy_rules.SHIPPING:
			return facts.shipping_account
		company_settings = frappe.get_cached_doc("Refund Settings").for_company(self.company)
		account = company_settings.restocking_fee_account if company_settings else None
		if not account:
			frappe.throw(
				_("Refund Policy {0} charges a restocking fee: set the Restocking Fee Account of company {1} in Refund Settings.").format(
					frappe.bold(self.refund_policy), frappe.bold(self.company)
				),
				PolicySetupError,
				title=_("Missing Setup"),
			)
		return account

	def check_policy_rules(self, has_evidence: bool | None = None, enforce_evidence: bool = False, enforce: bool = True):
		"""Broken rules are refused, named, unless a Refund Manager overrode them with a justification.

		With `enforce=False` (a preview) they are only listed in `policy_violations`."""
		self.keep_override_fields()
		if not self._policy:
			self.policy_violations = None
			return
		if has_evidence is None:
			has_evidence = not self.is_new() and self.has_attachment()  # shown now, enforced on leaving Draft
		self._policy_facts = policies.facts_of(self, self._policy, has_evidence)
		problems = policy_rules.violations(self._policy, self._policy_facts)
		self.policy_violations = "\n".join(
			policies.violation_message(self._policy.name, p) for p in problems
		) or None
		if not enforce:
			return
		blocking = [p for p in problems if p.code != "evidence_missing" or enforce_evidence]
		if self.policy_override:
			self.record_override(problems)
		covered = set((self.overridden_violations or "").split())
		uncovered = [p for p in blocking if p.code not in covered]
		if uncovered:
			frappe.throw(
				_("This request breaks Refund Policy {0}:").format(frappe.bold(escape_html(self._policy.name)))
				+ "<br>"
				+ "<br>".join(policies.violation_message(self._policy.name, p) for p in uncovered)
				+ "<br>"
				+ _("A Refund Manager can accept it with Override Policy and a written justification."),
				PolicyViolationError,
				title=_("Refund Policy"),
			)

	def keep_override_fields(self):
		"""Who overrode and what is set by the server only; only a Refund Manager changes the override."""
		before = self.get_doc_before_save()
		self.overridden_by = before.overridden_by if before else None
		self.overridden_violations = before.overridden_violations if before else None
		changed = (
			(cint(before.policy_override), before.override_justification or "")
			if before
			else (0, "")
		) != (cint(self.policy_override), self.override_justification or "")
		if changed and not policies.may_override():
			frappe.throw(
				_("Only a Refund Manager may override the refund policy."), frappe.PermissionError, title=_("Not Permitted")
			)
		self.flags.override_changed = changed
		if not self.policy_override:
			self.override_justification = None
			self.overridden_by = None
			self.overridden_violations = None

	def record_override(self, problems):
		codes = sorted({p.code for p in problems})
		covered = set((self.overridden_violations or "").split())
		if not self.flags.override_changed and set(codes) <= covered:
			return
		if not policies.may_override():
			return  # the uncovered rules are refused by the caller
		if not (self.override_justification or "").strip():
			frappe.throw(
				_("Write a justification to override Refund Policy {0}.").format(frappe.bold(self.refund_policy)),
				PolicyViolationError,
				title=_("Justification Required"),
			)
		self.overridden_by = frappe.session.user
		self.overridden_violations = " ".join(sorted(covered | set(codes)))
		self.flags.policy_override_recorded = True

	def comment_policy_override(self):
		if not self.flags.pop("policy_override_recorded", None):
			return
		self.add_comment(
			"Comment",
			_("Refund Policy {0} overridden by {1}. Rules: {2}. Justification: {3}").format(
				escape_html(self.refund_policy or ""),
				escape_html(frappe.utils.get_fullname(self.overridden_by)),
				self.policy_violations or _("none broken now"),
				escape_html(self.override_justification or ""),
			),
		)

	def set_risk_flags(self):
		"""Frequency and amount flags of the policy: the request goes to a person whatever the rules."""
		flags = policy_rules.risk_flags(self._policy, self._policy_facts) if self._policy else []
		self.risk_flags = "\n".join(policies.flag_message(self._policy.name, f, self.company_currency()) for f in flags) or None
		self.manual_review = int(bool(flags))

	def company_currency(self) -> str | None:
		return frappe.get_cached_value("Company", self.company, "default_currency") if self.company else None

	def has_attachment(self) -> bool:
		return bool(frappe.db.exists("File", {"attached_to_doctype": self.doctype, "attached_to_name": self.name}))

	def validate_deductions(self):
		for d in self.deductions:
			if d.account and frappe.db.get_value("Account", d.account, "company") != self.company:
				frappe.throw(
					_("Deduction row #{0}: account {1} does not belong to company {2}.").format(
						d.idx, frappe.bold(d.account), frappe.bold(self.company)
					),
					RefundAmountError,
				)

	def validate_refund_amount(self, facts: order_facts.OrderFacts):
		limit = refundable_amount(facts.billed, facts.paid, facts.refunded_elsewhere)
		precision = self.precision("refund_amount")
		problems = check_amounts(
			self._totals, [flt(d.amount) for d in self.deductions], flt(limit, precision), precision
		)
		throw_problems(self, problems, RefundAmountError)

	def validate_evidence(self):
		"""Before approval: the policy's evidence rule (overridable) and the reason's (not)."""
		has_evidence = self.has_attachment()
		if not hasattr(self, "_policy"):
			self.select_refund_policy()
		self.check_policy_rules(has_evidence=has_evidence, enforce_evidence=True)
		if not reason_flag(self.refund_reason, "requires_evidence"):
			return
		if not has_evidence:
			frappe.throw(
				_("Refund Reason {0} requires evidence: attach a photo or document before submitting.").format(
					frappe.bold(self.refund_reason)
				),
				MissingEvidenceError,
				title=_("Evidence Required"),
			)

	# ------------------------------------------------------------------ status

	def set_status(self, update: bool = False):
		if self.docstatus == 2:
			status = "Cancelled"
		elif self.docstatus == 1:
			status = self.status if self.status in ("Credited", "Refunded") else "Approved"
		else:
			state = self.get("workflow_state") or self.status  # in step with the approval workflow
			status = state if state in ("Pending Approval", "Pending Finance Approval", "Rejected") else "Draft"
		if update:
			self.db_set("status", status, update_modified=False)
		else:
			self.status = status

	# ------------------------------------------------------------------ helpers

	def items_precision(self, fieldname: str) -> int:
		return cint(frappe.get_meta("Refund Request Item").get_field(fieldname).precision) or cint(
			frappe.db.get_default("float_precision") or 3
		)


def reason_flag(reason: str, fieldname: str):
	"""A Refund Reason's setting, from Frappe's document cache (cleared whenever the reason is saved)."""
	try:
		return frappe.get_cached_value("Refund Reason", reason, fieldname)
	except frappe.DoesNotExistError:
		frappe.clear_last_message()  # no such reason: the link check says so
		return None


def refuse_unnamable_links(doc: RefundRequest):
	"""A link holds a name: text without < or > (Frappe refuses those in names). Anything else
	points nowhere, and Frappe's own check would echo it unescaped or fail on it (a dict)."""
	for d in (doc, *doc.get_all_children()):
		for df in d.meta.get_link_fields() + d.meta.get_dynamic_link_fields():
			value = d.get(df.fieldname)
			if isinstance(value, dict | list | tuple | set) or (
				isinstance(value, str) and ("<" in value or ">" in value)
			):
				frappe.throw(
					_("{0} {1} does not exist.").format(_(df.label), frappe.bold(escape_html(str(value)))),
					frappe.LinkValidationError,
					title=_("Invalid Link"),
				)


@contextmanager
def database_conflicts_as_try_again(doc: RefundRequest):
	"""A deadlock or lock wait timeout against another transaction becomes a clear "try again".

	Approvals of refunds on different orders lock neighbouring index ranges (the return documents'
	lines of each order) and then naming series: MariaDB may find a deadlock and roll one of them
	back whole. Nothing of it was kept, and the same action succeeds when repeated.
	"""
	try:
		yield
	except (frappe.QueryDeadlockError, frappe.QueryTimeoutError):
		frappe.throw(
			_("Refund Request {0} was not saved: another refund was changing the same records at the same moment, and nothing of this one was kept. Please try again.").format(
				frappe.bold(escape_html(doc.name or _("(new)")))
			),
			RefundConflictError,
			title=_("Try Again"),
		)


def problem_message(doc: RefundRequest, problem: Problem) -> str:
	"""One translated sentence per problem found by `refund_manager.core`, naming the row and limit."""
	v = problem.values
	fmt = lambda value, fieldname="refund_amount": frappe.format_value(  # noqa: E731
		value, doc.meta.get_field(fieldname), doc
	)
	messages = {
		"no_rows": lambda: _("Add at least one item to refund."),
		"unknown_line": lambda: _("Row #{0}: this line is not a line of Sales Order {1}.").format(
			problem.row, frappe.bold(doc.sales_order)
		),
		"duplicate_line": lambda: _("Row #{0}: the same order line is already refunded in row #{1}.").format(
			problem.row, v.get("first_row")
		),
		"qty_not_positive": lambda: _("Row #{0}: quantity to refund must be greater than zero.").format(
			problem.row
		),
		"qty_over_refundable": lambda: _(
			"Row #{0}: cannot refund {1} of {2}; at most {3} can still be refunded ({4})."
		).format(
			problem.row,
			frappe.bold(f"{flt(v['qty']):g}"),
			frappe.bold(doc.items[problem.row - 1].item_code),
			frappe.bold(f"{flt(v['limit']):g}"),
			_("delivered, less refunds and returns")
			if v["return_goods"]
			else _("ordered, less refunds and returns"),
		),
		"deduction_negative": lambda: _("Deduction row #{0}: amount cannot be negative.").format(problem.row),
		"refund_negative": lambda: _(
			"Deductions of {0} are larger than the refund; the refund amount cannot be negative."
		).format(frappe.bold(fmt(v["deductions_total"]))),
		"refund_over_limit": lambda: _(
			"Refund amount {0} is more than the customer was billed or paid for Sales Order {1}, less other refunds: at most {2}."
		).format(frappe.bold(fmt(v["refund_amount"])), frappe.bold(doc.sales_order), frappe.bold(fmt(v["limit"]))),
	}
	return messages[problem.code]()


def throw_problems(doc: RefundRequest, problems: list[Problem], exc: type[Exception]):
	if problems:
		frappe.throw(
			[problem_message(doc, p) for p in problems],
			exc,
			title=_("Invalid Refund Request"),
			as_list=True,
		)
