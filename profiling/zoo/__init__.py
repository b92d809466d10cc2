"""The embedded model zoo."""
