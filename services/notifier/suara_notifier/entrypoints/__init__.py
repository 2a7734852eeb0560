"""Notifier entrypoints: the event consumer, the local mail sink, the process main."""
