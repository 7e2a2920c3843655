"""Regex metric extraction from training-job log lines."""

from tunesmith.metrics.parser import MetricMatch, MetricParser

__all__ = ["MetricMatch", "MetricParser"]
