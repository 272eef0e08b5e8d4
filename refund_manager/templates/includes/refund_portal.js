// Customer portal forms (raise, appeal, rate): plain DOM and fetch, nothing from the web bundle but
// the CSRF token Frappe writes into the page (frappe.csrf_token). Every check is made again on
// the server; these only answer early.
(function () {
	window.frappe = window.frappe || {};
	// translated on the server (refund_manager.portal.client_messages)
	const node = document.getElementById("refund-portal-messages");
	const MESSAGES = node ? JSON.parse(node.textContent) : {};
	function __(key, ...values) {
		return (MESSAGES[key] || key).replace(/\{(\d+)\}/g, (match, i) => (values[i] !== undefined ? values[i] : match));
	}

	function text(html) {
		// server messages are HTML (bold names, lists): show their text only
		const doc = new DOMParser().parseFromString(String(html), "text/html");
		return (doc.body.textContent || "").trim();
	}

	function serverMessages(data) {
		const out = [];
		try {
			for (const raw of JSON.parse(data._server_messages || "[]")) {
				const msg = typeof raw === "string" ? JSON.parse(raw) : raw;
				const parts = Array.isArray(msg.message) ? msg.message : [msg.message];
				parts.forEach((part) => part && out.push(text(part)));
			}
		} catch (e) {
			// not the shape we expect: fall through to the generic message
		}
		if (!out.length && data.exception) out.push(text(String(data.exception).split(":").slice(1).join(":") || data.exception));
		return out;
	}

	function showErrors(form, messages) {
		const box = form.querySelector(".refund-form-error");
		box.replaceChildren();
		messages.forEach((message) => {
			const line = document.createElement("div");
			line.textContent = message;
			box.appendChild(line);
		});
		box.hidden = !messages.length;
		if (messages.length) box.scrollIntoView({ block: "nearest" });
	}

	function lineQuantities(form) {
		const items = {};
		form.querySelectorAll("input[data-line]").forEach((input) => {
			if (input.value && Number(input.value) !== 0) items[input.dataset.line] = input.value;
		});
		return items;
	}

	function checkFiles(form) {
		const input = form.querySelector("input[type=file][data-max-files]");
		if (!input) return [];
		const files = Array.from(input.files || []);
		const maxFiles = Number(input.dataset.maxFiles);
		const maxSize = Number(input.dataset.maxSize);
		const problems = [];
		if (files.length > maxFiles) problems.push(__("too_many_files", maxFiles));
		files
			.filter((f) => f.size > maxSize)
			.forEach((f) => problems.push(__("file_too_large", f.name, (maxSize / 1048576).toFixed(1))));
		return problems;
	}

	async function submit(form, event) {
		event.preventDefault();
		const button = form.querySelector("button[type=submit]");
		const problems = checkFiles(form);
		if (problems.length) return showErrors(form, problems);
		const body = new FormData(form);
		if (form.querySelector("input[data-line]")) body.set("items", JSON.stringify(lineQuantities(form)));
		button.disabled = true;
		showErrors(form, []);
		try {
			const response = await fetch(`/api/method/${form.dataset.refundMethod}`, {
				method: "POST",
				body,
				credentials: "same-origin",
				headers: {
					Accept: "application/json",
					"X-Frappe-CSRF-Token": window.frappe.csrf_token || "",
				},
			});
			let data = {};
			try {
				data = await response.json();
			} catch (e) {
				data = {};
			}
			if (response.ok) {
				const route = data.message && data.message.route;
				if (route && route !== window.location.pathname) window.location.assign(route);
				else window.location.reload();
				return;
			}
			const messages = serverMessages(data);
			if (!messages.length) {
				messages.push(response.status === 413 ? __("request_too_large") : __("failed", response.status));
			}
			showErrors(form, messages);
		} catch (e) {
			showErrors(form, [__("offline")]);
		}
		button.disabled = false;
	}

	function applyReason(form) {
		const select = form.querySelector("select[name=refund_reason]");
		if (!select) return;
		const option = select.selectedOptions[0];
		const goods = !option || !option.value || option.dataset.goods === "1";
		form.querySelectorAll("input[data-line]").forEach((input) => {
			const limit = Number(goods ? input.dataset.limitGoods : input.dataset.limitNoGoods);
			input.max = String(limit);
			input.disabled = limit <= 0;
			if (Number(input.value) > limit) input.value = String(limit);
			const cell = form.querySelector(`tr[data-line-row="${CSS.escape(input.dataset.line)}"] .refundable-limit`);
			if (cell) cell.textContent = String(limit);
		});
		const goodsNote = form.querySelector("#goods-note");
		const evidenceNote = form.querySelector("#evidence-note");
		if (goodsNote) goodsNote.hidden = !(option && option.value && option.dataset.goods === "1");
		if (evidenceNote) evidenceNote.hidden = !(option && option.dataset.evidence === "1");
	}

	function init() {
		document.querySelectorAll("form[data-refund-method]").forEach((form) => {
			form.addEventListener("submit", (event) => submit(form, event));
			const select = form.querySelector("select[name=refund_reason]");
			if (select) select.addEventListener("change", () => applyReason(form));
			applyReason(form);
			// the buttons stay disabled until this script has taken the form over
			form.querySelectorAll("button[type=submit]").forEach((button) => (button.disabled = false));
			form.dataset.ready = "1";
		});
	}

	if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
	else init();
})();
