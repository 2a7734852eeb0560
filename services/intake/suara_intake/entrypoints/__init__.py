"""Intake's entrypoints: the gRPC API, the timeline projector, the process main."""
