// Copyright (c) 2026, refund_manager developers
// For license information, please see license.txt
