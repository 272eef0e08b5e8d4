"""The customer portal in a real headless Chromium (Debian's /usr/bin/chromium) driven by Playwright
for Python, against the site served by `frappe serve` (conftest `served_site`): a portal customer
raises a refund, follows it, appeals its rejection and rates the refund.

Skipped, saying why, when Chromium or Playwright is missing (`.ci/run` installs Playwright into the
bench's Python; its browsers are never downloaded: the Debian package is launched).
Set REFUND_PORTAL_SCREENSHOT_DIR to keep a screenshot of the request page (the README's).
"""

import os
import shutil

import frappe
import pytest

from tests.integration.portal_world import PASSWORD, approve_as_admin, image, reject_as_admin, sync

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-quic",
	"--no-first-run",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
]

pytestmark = pytest.mark.usefixtures("company")


@pytest.fixture(scope="module")
def browser():
	if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
		pytest.skip(f"no Chromium at {CHROMIUM} (Debian: apt-get install -y chromium)")
	try:
		from playwright.sync_api import sync_playwright
	except ImportError:
		pytest.skip("Playwright for Python is not installed in this Python (pip install playwright)")
	with sync_playwright() as playwright:
		chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
		yield chromium
		chromium.close()


@pytest.fixture
def as_alice(browser, served_site, portal_world):
	"""A logged-in browser page of Alice (portal customer A)."""
	context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=served_site)
	context.set_default_timeout(60_000)
	login = context.request.post("/api/method/login", form={"usr": portal_world.a.user, "pwd": PASSWORD})
	assert login.ok, login.text()
	page = context.new_page()
	errors = []
	page.on("pageerror", lambda error: errors.append(str(error)))
	yield page
	context.close()
	assert not errors, errors  # no script error on any portal page


def raise_in_browser(page, who, quantity: int, reason: str, comment: str = "", files=()) -> str:
	"""From My Refunds: Raise a refund > the order > lines, reason, comment, files > send."""
	page.goto("/refunds")
	page.click("#raise-refund")
	page.click(f'tr.order-row[data-name="{who.order}"] a')
	page.wait_for_selector("#raise-form[data-ready]")
	first_line = next(iter(who.lines.values()))
	page.select_option("select[name=refund_reason]", reason)
	page.fill(f'input[data-line="{first_line}"]', str(quantity))
	if comment:
		page.fill("#raise-form textarea[name=comment]", comment)
	if files:
		page.set_input_files("#attachments", list(files))
	with page.expect_navigation(url="**/refunds/RFR-*"):
		page.click("#raise-form button[type=submit]")
	return page.url.rsplit("/", 1)[-1]


def status(page) -> str:
	return page.get_attribute("#refund-status", "data-status")


def timeline(page) -> list[str]:
	return page.eval_on_selector_all("#refund-timeline li", "items => items.map(li => li.dataset.kind)")


def test_raise_follow_appeal_and_rate_in_a_browser(as_alice, portal_world):
	page = as_alice
	png = {"name": "parcel.png", "mimeType": "image/png", "buffer": image()}

	# too many: the server's message is shown on the form, nothing is raised
	page.goto(f"/refunds/new?order={portal_world.a.order}")
	page.wait_for_selector("#raise-form[data-ready]")
	first_line = next(iter(portal_world.a.lines.values()))
	page.select_option("select[name=refund_reason]", "Changed Mind")
	page.fill(f'input[data-line="{first_line}"]', "99")
	page.click("#raise-form button[type=submit]")
	page.wait_for_selector("#raise-form .refund-form-error:not([hidden])")
	assert "can still be refunded, not 99" in page.inner_text("#raise-form .refund-form-error")

	name = raise_in_browser(page, portal_world.a, 1, "Changed Mind", "The parcel arrived open.", [png])
	assert status(page) == "Pending Approval"
	assert timeline(page) == ["raised", "submitted"]
	assert "parcel.png" in page.inner_text("#refund-attachments")
	assert "The parcel arrived open." in page.inner_text("#refund-description")

	# follow it from the list
	page.goto("/refunds")
	row = page.locator(f'tr.refund-row[data-name="{name}"]')
	assert row.locator("[data-status]").get_attribute("data-status") == "Pending Approval"

	# rejected: the reason is shown; an appeal without anything new is refused on the page
	reject_as_admin(name, "Please send a photo of the opened parcel.")
	page.goto(f"/refunds/{name}")
	page.wait_for_selector("#appeal-form[data-ready]")
	assert status(page) == "Rejected"
	assert "Please send a photo of the opened parcel." in page.inner_text("#rejection-reason")
	page.click("#appeal-form button[type=submit]")
	page.wait_for_selector("#appeal-form .refund-form-error:not([hidden])")
	assert "Tell us why you appeal" in page.inner_text("#appeal-form .refund-form-error")

	page.fill("#appeal-form textarea[name=comment]", "Photo of the opened parcel attached.")
	page.set_input_files("#appeal-attachments", [{**png, "name": "opened.png"}])
	with page.expect_navigation():
		page.click("#appeal-form button[type=submit]")
	assert status(page) == "Pending Approval"
	assert timeline(page) == ["raised", "submitted", "rejected", "comment", "appealed"]
	assert page.locator("#appeal-form").count() == 0

	# approved and paid: the customer rates it on the page
	approve_as_admin(name)
	page.goto(f"/refunds/{name}")
	page.wait_for_selector("#feedback-form[data-ready]")
	assert status(page) == "Refunded"
	assert timeline(page)[-2:] == ["approved", "refunded"]
	page.check('#feedback-form input[name=rating][value="4"]')
	page.fill("#feedback-form textarea[name=comment]", "Fair, once the photo was in.")
	with page.expect_navigation():
		page.click("#feedback-form button[type=submit]")
	assert page.get_attribute("#feedback-given", "data-stars") == "4"
	assert timeline(page)[-1] == "feedback"
	sync()
	assert frappe.db.get_value("Refund Request", name, "feedback_rating") == 0.8

	if directory := os.environ.get("REFUND_PORTAL_SCREENSHOT_DIR"):
		page.screenshot(path=os.path.join(directory, "portal-refund-request.png"), full_page=True)


def test_auto_approved_refund_is_paid_at_once_in_a_browser(as_alice, portal_world):
	page = as_alice
	name = raise_in_browser(page, portal_world.a, 1, portal_world.auto_reason)
	assert status(page) == "Refunded"
	assert timeline(page) == ["raised", "approved", "refunded"]
	page.wait_for_selector("#feedback-form[data-ready]")
	page.check('#feedback-form input[name=rating][value="5"]')
	with page.expect_navigation():
		page.click("#feedback-form button[type=submit]")
	assert page.get_attribute("#feedback-given", "data-stars") == "5"
	sync()
	assert frappe.db.get_value("Refund Request", name, ["docstatus", "feedback_rating"]) == (1, 1.0)
