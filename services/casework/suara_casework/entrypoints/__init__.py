"""Entry points: gRPC API, projector, deadline clock, main."""
