"""Generated from protos/suara/v1. Never edit by hand."""
