"""Suara audit: evidence of who did what, when, that nobody can quietly rewrite."""
