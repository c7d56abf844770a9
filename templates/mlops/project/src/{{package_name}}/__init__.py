"""Churn prediction with an MLflow registry, A/B routing, drift monitoring and metrics."""

__version__ = "0.1.0"
