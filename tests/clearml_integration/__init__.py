"""Opt-in tests against a real ClearML server and MinIO (`make test-clearml`)."""
