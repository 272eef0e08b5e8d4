"""Plain-Python refund arithmetic: no frappe import, plain inputs, unit-tested in milliseconds."""
