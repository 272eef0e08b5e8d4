app_name = "refund_manager"
app_title = "Refund Manager"
app_publisher = "refund_manager developers"
app_description = "Refund Requests with approval, postings and portal for ERPNext"
app_email = "dev@refund-manager.invalid"
app_license = "mit"

# "org/repo" form: Frappe's installer resolves a bare "erpnext" by asking GitHub for its org,
# which fails on a bench without internet access. HRMS declares it the same way.
required_apps = ["frappe/erpnext"]

# Whitelisted methods must carry type annotations (checked by Frappe on every call).
require_type_annotated_api_methods = True

# The "Create > Refund Request" button on the three source documents (one script, see its header).
doctype_js = {
	"Sales Order": "public/js/refund_request_button.js",
	"Delivery Note": "public/js/refund_request_button.js",
	"Sales Invoice": "public/js/refund_request_button.js",
}

# Everything the app needs on a site is created idempotently here and removed on uninstall.
after_install = "refund_manager.install.after_install"
after_migrate = "refund_manager.install.after_migrate"
before_uninstall = "refund_manager.install.before_uninstall"

# Pending Refund Requests past their response time are escalated (assigned, marked, notified).
scheduler_events = {"hourly": ["refund_manager.approval.escalate_breached_requests"]}

# ------------------------------------------------------------------ customer portal
# Portal customers (role Customer, linked to a customer as a Portal User or through a Contact)
# see their own customers' requests only; desk roles are not restricted (refund_manager.permissions).
has_permission = {"Refund Request": "refund_manager.permissions.has_permission"}
permission_query_conditions = {"Refund Request": "refund_manager.permissions.get_permission_query_conditions"}
has_website_permission = {"Refund Request": "refund_manager.permissions.has_website_permission"}

standard_portal_menu_items = [
	{"title": "My Refunds", "route": "/refunds", "reference_doctype": "Refund Request", "role": "Customer"},
]

# /refunds (list, www/refunds/index), /refunds/new (raise), /refunds/<name> (one request)
website_route_rules = [
	{"from_route": "/refunds/new", "to_route": "refunds/new"},
	{"from_route": "/refunds/<name>", "to_route": "refunds/refund"},
]
