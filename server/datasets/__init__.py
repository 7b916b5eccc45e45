"""Datasets: upload, versioning in DVC, the SQLite index, and the gRPC servicer.

Modules are imported directly (e.g. `server.datasets.parsing`) so that the training
subprocess can read tables without importing DVC or gRPC.
"""
