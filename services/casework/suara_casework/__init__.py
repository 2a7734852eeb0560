"""Suara casework: lifecycle commands, the deadline clock and the read models (issue 5)."""
