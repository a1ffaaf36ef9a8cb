"""Workload keys: the pinned images, the pods' autoscaling range (hpaMinReplicas and hpaMaxReplicas are tier
preset fields, stacks/tiers.py), whether this run reaches the Kubernetes API, and whether the nodes hold the
workloads at their largest."""

from __future__ import annotations

from typing import Literal

from pydantic import ValidationInfo, field_validator

from components.errors import InvalidArgumentError
from components.subnet_plan import ZONE_COUNT
from stacks.aws_limits import IMAGE_TAG_PATTERN
from stacks.capacity import Fit, ZoneSplit, fit, split_per_zone
from stacks.config.base import ConfigBase, ns_key
from stacks.tiers import TIER_RULES
from stacks.workload_specs import WORKLOADS

DeployPhase = Literal["foundation", "complete"]


class WorkloadConfig(ConfigBase):
    """The validator, payments and ledger releases and the node capacity they need."""

    validator_image_tag: str = ""
    """Image tag or sha256 digest of the validator. Required."""
    payments_image_tag: str = ""
    """Image tag or sha256 digest of payments. Required."""
    ledger_image_tag: str = ""
    """Image tag or sha256 digest of the ledger. Required."""
    deploy_phase: DeployPhase = "complete"
    """foundation: only what the AWS control plane creates (no Kubernetes API call); complete: plus namespaces,
    add-on and workload releases. Default: complete."""

    @property
    def kubernetes_layer(self) -> bool:
        """Whether this run registers resources through the Kubernetes API (deployPhase complete)."""
        return self.deploy_phase == "complete"

    def image_tag(self, workload: str) -> str:
        """The pinned image of a workload."""
        tag: str = getattr(self, f"{workload}_image_tag")
        return tag

    @field_validator("validator_image_tag", "payments_image_tag", "ledger_image_tag")
    @classmethod
    def _pinned_image(cls, value: str) -> str:
        if not value:
            raise ValueError("missing: every workload runs a pinned image (a version tag or sha256:<digest>)")
        if value == "latest" or not IMAGE_TAG_PATTERN.fullmatch(value):
            raise ValueError("must be a version tag such as 1.4.2 or sha256:<64 hex>, never 'latest'")
        return value

    @field_validator("hpa_min_replicas", "hpa_max_replicas")
    @classmethod
    def _replicas(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1 pod")
        return value

    @property
    def hard_zone_spread(self) -> bool:
        """Whether workloads must spread evenly over the zones (DoNotSchedule): the tier's high availability."""
        return TIER_RULES[self.tier].high_availability

    def node_split(self) -> ZoneSplit:
        """nodeMin/nodeMax spread over one node group per zone (raises InvalidArgumentError if they cannot be)."""
        return split_per_zone(self.node_min, self.node_max, ZONE_COUNT, self.hard_zone_spread)

    def capacity(self) -> tuple[Fit, Fit]:
        """How the per-zone node groups hold the workloads at minimum and at maximum scale."""
        demands = [spec.demand(self.hpa_min_replicas, self.hpa_max_replicas) for spec in WORKLOADS]
        return fit(demands, self.node_instance_type, self.node_split(), self.hard_zone_spread)

    def _check_workloads_fit(self, info: ValidationInfo) -> None:
        """hpaMinReplicas <= hpaMaxReplicas, and the node groups hold every workload at hpaMaxReplicas."""
        if self.hpa_min_replicas > self.hpa_max_replicas:
            raise ValueError(
                self._pair_message("hpaMinReplicas", "hpaMaxReplicas", info, "the minimum must not exceed the maximum")
            )
        try:
            self.node_split()
        except InvalidArgumentError as err:
            raise ValueError(
                f"{ns_key('nodeMin')} = {self.node_min}, {ns_key('nodeMax')} = {self.node_max}: cannot be split over "
                f"one node group per zone: {str(err).split(': ', 1)[1]}"
            ) from None
        _, at_max = self.capacity()
        if at_max.headroom_nodes < 0:
            raise ValueError(
                f"{ns_key('nodeMax')} = {self._v('nodeMax')} cannot hold every workload at "
                f"{ns_key('hpaMaxReplicas')} = {self._v('hpaMaxReplicas')}: {at_max.describe()}; raise nodeMax to "
                f"{at_max.nodes_needed} or lower hpaMaxReplicas"
            )
