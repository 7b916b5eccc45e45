"""Prometheus metrics of the gRPC server, and the live figures GetStatus reports."""
