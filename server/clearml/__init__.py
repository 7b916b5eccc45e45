"""ClearML adapters: SDK configuration, training tasks and model weights."""
