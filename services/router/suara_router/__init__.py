"""Suara router: which OPD handles a complaint, by when, and why."""
