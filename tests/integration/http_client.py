"""Calls through Frappe's real HTTP stack (frappe.app.application) from inside a test.

The WSGI application runs in a thread of its own: Frappe keeps its request state in context
variables, and each request it serves initialises the site, opens its own database connection and
tears both down at the end (frappe.destroy), which must not touch the test's own connection. So the
test and the application talk like a browser and a server: over HTTP, with a session cookie, and
only through what is committed.
"""

import json
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import frappe
import frappe.app
from werkzeug.test import Client


@dataclass
class Answer:
	status: int
	body: dict = field(default_factory=dict)
	text: str = ""

	@property
	def messages(self) -> list[str]:
		"""What the Desk shows the user: the message dialogs (`_server_messages`)."""
		found = []
		for raw in json.loads(self.body.get("_server_messages") or "[]"):
			try:
				message = json.loads(raw)
			except (TypeError, ValueError):
				message = {"message": raw}
			found.append(str(message.get("message", message) if isinstance(message, dict) else message))
		return found

	@property
	def error_type(self) -> str | None:
		return self.body.get("exc_type")


class HttpClient:
	"""A logged-in browser session against `site`, served by frappe.app.application."""

	def __init__(self, site: str, sites_path: str):
		frappe.app._sites_path = sites_path  # what `bench serve` sets for the application
		self.base_url = f"http://{site}"
		self.client = Client(frappe.app.application)
		self.thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="frappe-app")

	def login(self, user: str, password: str):
		answer = self.post("/api/method/login", {"usr": user, "pwd": password})
		assert answer.status == 200, answer.text
		return self

	def post(self, path: str, payload: dict) -> Answer:
		return self.thread.submit(self._open, "POST", path, payload).result()

	def get(self, path: str) -> Answer:
		return self.thread.submit(self._open, "GET", path, None).result()

	def _open(self, method: str, path: str, payload) -> Answer:
		response = self.client.open(path, method=method, base_url=self.base_url, json=payload)
		try:
			text = response.get_data(as_text=True)
			status = response.status_code
		finally:
			response.close()  # runs the application's after-response work (frappe.destroy)
		try:
			body = json.loads(text)
		except ValueError:
			body = {}
		return Answer(status, body if isinstance(body, dict) else {"data": body}, text)

	def close(self):
		self.thread.shutdown(wait=True)
