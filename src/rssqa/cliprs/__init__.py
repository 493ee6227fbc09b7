"""cliprs."""
