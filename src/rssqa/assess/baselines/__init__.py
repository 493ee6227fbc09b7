"""assess/baselines."""
