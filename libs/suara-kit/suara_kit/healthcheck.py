"""`python -m suara_kit.healthcheck HOST:PORT …`: wait until gRPC servers' standard health checks say SERVING."""

from __future__ import annotations

import argparse
import sys
import time

import grpc
from grpc_health.v1 import health_pb2, health_pb2_grpc


def is_serving(address: str, timeout: float = 2.0) -> bool:
    try:
        with grpc.insecure_channel(address) as channel:
            reply = health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=timeout
            )
    except grpc.RpcError:
        return False
    return bool(reply.status == health_pb2.HealthCheckResponse.SERVING)


def wait_until_serving(addresses: list[str], timeout: float) -> list[str]:
    """Returns the addresses still not serving when the time ran out (empty: all serving)."""
    deadline = time.monotonic() + timeout
    pending = list(addresses)
    while pending and time.monotonic() < deadline:
        pending = [a for a in pending if not is_serving(a)]
        if pending:
            time.sleep(0.5)
    return pending


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("addresses", nargs="+")
    parser.add_argument("--timeout", type=float, default=120.0)
    args = parser.parse_args()
    pending = wait_until_serving(args.addresses, args.timeout)
    for address in pending:
        print(f"not SERVING after {args.timeout:.0f}s: {address}", file=sys.stderr)
    return 1 if pending else 0


if __name__ == "__main__":
    sys.exit(main())
