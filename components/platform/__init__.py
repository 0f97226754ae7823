"""The Platform room: system applications, Kafka, the Unibeam workloads, SaaS and partner links."""

from components.platform.platform import Platform, PlatformArgs

__all__ = ["Platform", "PlatformArgs"]
