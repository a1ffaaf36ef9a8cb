"""Offline engine: run the real Pulumi program under the SDK's mock engine, without a cloud account."""
