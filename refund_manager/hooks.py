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
