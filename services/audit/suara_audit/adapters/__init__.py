"""Audit adapters: the log in the MongoDB-protocol store, the export files."""
