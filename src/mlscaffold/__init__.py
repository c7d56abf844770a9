"""mlscaffold: starter repositories for machine-learning portfolio projects."""

__version__ = "0.11.0"
