"""Generated from protos/suara. Never edit by hand."""
