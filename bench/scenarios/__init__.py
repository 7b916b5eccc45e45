"""One module per figure group; each exposes `run(ctx)`."""
