"""Who may see which Refund Requests: portal customers see their own customers' requests only.

A portal customer is a user whose only role that reads Refund Requests is "Customer" (ERPNext's
role for portal users). Their customers are the ones that list them as a Portal User (Customer >
Portal Users, as ERPNext's own portal pages use) or that are linked to a Contact whose User is
them (the older ERPNext link). Desk roles (Sales User, Refund Approver, ...) are not restricted here.

Hooks (refund_manager/hooks.py): `has_permission`, `permission_query_conditions` and
`has_website_permission` for Refund Request.
"""

import frappe
from frappe.query_builder import DocType
from frappe.utils import cint

DOCTYPE = "Refund Request"
PORTAL_ROLE = "Customer"
# roles every website user holds: they never lift the restriction
NOT_DESK_ROLES = (PORTAL_ROLE, "All", "Guest")


def customers_of(user: str | None = None) -> list[str]:
	"""The customers `user` acts for on the portal."""
	user = user or frappe.session.user
	if user in ("Guest", None):
		return []
	return sorted({customer for customer, _user in portal_links(user=user)})


def users_of(customer: str) -> list[str]:
	"""The users acting for `customer` on the portal (the reverse of `customers_of`)."""
	return sorted({user for _customer, user in portal_links(customer=customer)})


def portal_links(user: str | None = None, customer: str | None = None) -> set[tuple[str, str]]:
	"""(customer, user) pairs linked as Portal Users or through Contacts, for one user or customer."""
	portal_user = DocType("Portal User")
	via_portal = (
		frappe.qb.from_(portal_user)
		.select(portal_user.parent, portal_user.user)
		.where((portal_user.parenttype == "Customer") & portal_user.user.isnotnull())
	)
	contact, link = DocType("Contact"), DocType("Dynamic Link")
	via_contact = (
		frappe.qb.from_(contact)
		.join(link)
		.on((link.parent == contact.name) & (link.parenttype == "Contact"))
		.select(link.link_name, contact.user)
		.where((link.link_doctype == "Customer") & contact.user.isnotnull())
	)
	if user:
		via_portal = via_portal.where(portal_user.user == user)
		via_contact = via_contact.where(contact.user == user)
	if customer:
		via_portal = via_portal.where(portal_user.parent == customer)
		via_contact = via_contact.where(link.link_name == customer)
	return {(c, u) for c, u in (*via_portal.run(), *via_contact.run()) if c and u}


def is_portal_customer(user: str | None = None) -> bool:
	"""True when `user` reads Refund Requests only through the Customer role."""
	user = user or frappe.session.user
	if user == "Administrator" or PORTAL_ROLE not in frappe.get_roles(user):
		return False
	roles = set(frappe.get_roles(user)) - set(NOT_DESK_ROLES)
	# the doctype's permission rules (Custom DocPerm included), as cached in its meta
	return not any(
		p.read and not cint(p.permlevel) and p.role in roles for p in frappe.get_meta(DOCTYPE).permissions
	)


def owns(doc, user: str | None = None) -> bool:
	"""True when `doc` (anything with a `customer`) belongs to one of `user`'s customers."""
	return bool(doc.get("customer")) and doc.get("customer") in customers_of(user)


# ------------------------------------------------------------------ hooks


def has_permission(
	doc, ptype: str | None = None, user: str | None = None, debug: bool = False
) -> bool | None:
	"""Portal customers: only their own customers' requests, whatever the permission type.
	Anyone else: no opinion (role permissions decide)."""
	if not is_portal_customer(user):
		return None
	return owns(doc, user)


def get_permission_query_conditions(user: str | None = None) -> str:
	if not is_portal_customer(user):
		return ""
	customers = customers_of(user)
	if not customers:
		return "1=0"
	return "`tabRefund Request`.`customer` in ({})".format(", ".join(frappe.db.escape(c) for c in customers))


def has_website_permission(doc, ptype: str = "read", user: str | None = None, verbose: bool = False) -> bool:
	"""Web views (print, portal): the request's customer must be one of the user's."""
	return owns(doc, user)
