"""The Observability room: metrics and Thanos, logs, Grafana, exporters, alerts."""

from components.observability.observability import Observability, ObservabilityArgs

__all__ = ["Observability", "ObservabilityArgs"]
