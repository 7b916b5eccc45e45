"""Training: one fresh interpreter per run, driven from the server by a small JSON protocol."""
