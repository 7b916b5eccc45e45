"""Models: classes and hyperparameters, training in subprocesses, the registry and serving."""
