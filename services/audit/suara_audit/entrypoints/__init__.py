"""Audit entrypoints: the event consumer, the export gRPC API, the process main."""
