"""Object storage (S3 / MinIO) adapters."""
