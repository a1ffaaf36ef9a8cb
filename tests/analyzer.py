"""The policy pack run as the Pulumi CLI runs it: `policies/__main__.py` serving the analyzer over gRPC."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import grpc
from pulumi.runtime.proto import analyzer_pb2_grpc

from offline.engine import PROJECT_DIR


@contextmanager
def running_analyzer() -> Iterator[Any]:
    """Start the pack's analyzer, yield a stub connected to it, and stop it afterwards."""
    process = subprocess.Popen([sys.executable, "__main__.py"], cwd=PROJECT_DIR / "policies", stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)  # fmt: skip
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline().strip())
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=30)
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.kill()
        process.wait(timeout=30)
