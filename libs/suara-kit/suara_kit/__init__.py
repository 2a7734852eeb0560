"""Suara's shared mechanism: nothing here knows how a complaint is routed, notified or audited."""
