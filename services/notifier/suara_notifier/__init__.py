"""Suara notifier: makes sure the responsible OPD hears of every complaint routed to it."""
