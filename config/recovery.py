"""Recovery objectives for the loss of the active region, computed from the settings.

Time to full load: the edges detect the loss (from the planned health checks) and steer
traffic to the warm region, whose Horizontal Pod Autoscalers grow each Unibeam service from
its warm minimum to its active minimum in waves (each wave: the HPA's period, Karpenter's
batch, a node, a pod); promotion then makes those sizes the floor. Recovery point: how far
behind each replicated data store can be when the region is lost.

Each number is a named assumption with its source; the ones no vendor publishes say so and
take a conservative value. ``check`` holds them against ``edge.rtoSeconds`` and
``edge.rpoSeconds``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Assumption:
    """A duration the model uses, and where it comes from."""

    seconds: int
    source: str


#: The parts of one scale-up wave and of the traffic shift.
SHIFT = Assumption(
    10,
    "Global Accelerator applies health and dial changes in seconds (developer guide: "
    "'propagation takes only seconds'); Cloudflare steers proxied traffic at its edge, no DNS TTL",
)
HPA_PERIOD = Assumption(
    15, "HPA controller sync period 15 s (Kubernetes docs, --horizontal-pod-autoscaler-sync-period)"
)
KARPENTER_BATCH = Assumption(10, "Karpenter batchMaxDuration, default 10 s (settings reference)")
NODE_READY = Assumption(
    90,
    "EC2 launch to a Ready node: Karpenter's docs show 34 s for one node; no AWS figure for "
    "t4g/AL2023, so 90 s assumed",
)
POD_START = Assumption(
    60,
    "pod start with the image pull from in-region ECR: Kubernetes' pod-startup SLO is 5 s at "
    "p99 without the pull; 60 s assumed",
)
#: Default HPA scale-up: the larger of doubling and four more pods per period (Kubernetes).
HPA_DOUBLE, HPA_PODS = 2, 4

#: Recovery point of each replicated store (seconds of writes that may be missing).
RPO: Mapping[str, Assumption] = {
    "Kafka topics (MirrorMaker2)": Assumption(
        60, "the replication lag alert's threshold (MirrorMakerLagging, 60 s): beyond it the "
        "warm region pages; typical lag is seconds"),
    "Kafka consumer offsets": Assumption(
        60, "MirrorMaker2 checkpoints and group-offset syncs every 60 s (Kafka defaults)"),
    "S3 buckets (Replication Time Control)": Assumption(
        900, "S3 RTC: 99.99 % of objects within 15 minutes (S3 user guide)"),
    "Secrets Manager replicas": Assumption(
        300, "no published replication time; 5 minutes assumed"),
    "ECR images": Assumption(
        1800, "ECR: 'The majority of images replicate in less than 30 minutes' (no SLA)"),
}  # fmt: skip
ATLAS_RPO = Assumption(
    0,
    "Atlas multi-region cluster with majority write concern (the default since MongoDB 5.0): "
    "acknowledged writes are in another region",
)
REDIS_RPO = Assumption(5, "Redis Cloud Active-Active publishes no replication lag; 5 s assumed")


def scale_waves(warm: Mapping[str, int], active: Mapping[str, int]) -> int:
    """HPA periods (each with new nodes and pods) to grow every service from its warm minimum
    to its active minimum with the default scale-up policy."""
    waves = 0
    for service, target in active.items():
        replicas, steps = max(1, warm.get(service, 1)), 0
        while replicas < target:
            replicas = max(replicas * HPA_DOUBLE, replicas + HPA_PODS)
            steps += 1
        waves = max(waves, steps)
    return waves


@dataclass(frozen=True)
class Recovery:
    """The objectives, part by part."""

    detection: int
    waves: int
    rpo: Mapping[str, Assumption]

    @property
    def wave_seconds(self) -> int:
        return sum(a.seconds for a in (HPA_PERIOD, KARPENTER_BATCH, NODE_READY, POD_START))

    @property
    def full_load_seconds(self) -> int:
        return self.detection + SHIFT.seconds + self.waves * self.wave_seconds

    def rto_line(self, budget: int) -> str:
        verdict = "within" if self.full_load_seconds <= budget else "OVER"
        return (
            f"full load in the warm region after {self.full_load_seconds} s (detection "
            f"{self.detection}, traffic shift {SHIFT.seconds}, {self.waves} scale-up "
            f"wave{'s' if self.waves != 1 else ''} x (HPA {HPA_PERIOD.seconds} + Karpenter "
            f"batch {KARPENTER_BATCH.seconds} + node {NODE_READY.seconds} + pod "
            f"{POD_START.seconds})); {verdict} the RTO budget of {budget} s"
        )

    def rpo_line(self, budget: int) -> str:
        worst = max(a.seconds for a in self.rpo.values())
        verdict = "within" if worst <= budget else "OVER"
        parts = ", ".join(f"{store} {a.seconds} s" for store, a in self.rpo.items())
        return f"writes a replica may miss: {parts}; {verdict} the RPO budget of {budget} s"


def recovery(
    detection: int,
    warm_minimums: Mapping[str, int],
    active_minimums: Mapping[str, int],
    *,
    atlas: bool,
    redis: bool,
) -> Recovery:
    """The objectives for a warm region sized ``warm_minimums`` taking over at
    ``active_minimums``, with the stores this platform replicates."""
    rpo = dict(RPO)
    if atlas:
        rpo["MongoDB Atlas"] = ATLAS_RPO
    if redis:
        rpo["Redis Cloud (Active-Active)"] = REDIS_RPO
    return Recovery(detection, scale_waves(warm_minimums, active_minimums), rpo)
