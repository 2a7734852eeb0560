"""Generated protobuf and gRPC code for the `suara.*` proto packages (see protos/). Never edit by hand."""
