"""Notifier adapters: alert channels, the staff directory file, the complaint book and delivery log."""
