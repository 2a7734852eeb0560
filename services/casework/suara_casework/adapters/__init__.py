"""Adapters: the store-backed read models."""
