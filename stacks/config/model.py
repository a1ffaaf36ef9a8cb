"""StackConfig: the one model of a stack's configuration, combined from the area models
(stacks/config/<area>.py), with the checks that span areas: the tier's rules and the order in which the
cross-key checks run."""

from __future__ import annotations

from pydantic import ValidationInfo, model_validator
from pydantic.alias_generators import to_snake

from components.subnet_plan import ZONE_COUNT
from stacks.aws_limits import covers_internet
from stacks.config.audit import AuditConfig
from stacks.config.base import ns_key
from stacks.config.ci import CiConfig
from stacks.config.cluster import ClusterConfig
from stacks.config.data_stores import DataStoreConfig
from stacks.config.edge import EdgeConfig
from stacks.config.network import NetworkConfig
from stacks.config.observability import ObservabilityConfig
from stacks.config.ownership import OwnershipConfig
from stacks.config.region_pair import RegionPairConfig
from stacks.config.workloads import WorkloadConfig
from stacks.tiers import STANDBY_RELAXED, TIER_RULES


# Pydantic orders fields (and so the lines of a multi-key error) by the reversed MRO: the tier preset fields,
# tier/region/accountId, then these bases from last to first (network, ownership, cluster, CI, edge,
# workloads, audit, region pair). Field validators sit with their fields; the cross-key checks run in the one
# model validator below, in a fixed order, so the first error a user sees does not depend on this list.
class StackConfig(
    ObservabilityConfig,
    RegionPairConfig,
    AuditConfig,
    WorkloadConfig,
    EdgeConfig,
    CiConfig,
    ClusterConfig,
    OwnershipConfig,
    NetworkConfig,
    DataStoreConfig,
):
    """Every setting of one stack: the tier preset fields plus the stack's own. Config keys are the
    camelCase names of these fields."""

    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> StackConfig:
        """The checks that relate keys to each other, in order; the first that fails is the error shown."""
        self._check_region_pair()
        self._check_log_lock(info)
        self._check_certificate()
        self._check_alb_ingress()
        self._check_admin_partition()
        self._check_node_bounds(info)
        self._check_workloads_fit(info)
        self._check_ci_runner(self.eks_admin_role_arns)
        self._check_trail_partition()
        self._check_data_stores(info)
        self._check_dr_region()
        self._check_master_rotation_read(self.rotates_master_secret)
        self._check_failover_readers_read(info)
        self._check_observability()
        self._check_tier_rules()
        return self

    def _check_tier_rules(self) -> None:
        """The invariants of the tier (stacks/tiers.py TIER_RULES) that no override may break."""
        rules = TIER_RULES[self.tier]
        # The pair keys first: a standby whose standbyFor went missing is told that, not the first
        # zone-redundancy rule its standby sizes trip (issue 23).
        if rules.requires_region_pair and self.region_pair_role == "none":
            raise ValueError(
                f"{ns_key('drStack')} must be set for tier '{self.tier}' (the name of its standby stack in "
                f"{ns_key('drRegion')}), unless the stack is itself a standby ({ns_key('standbyFor')}): a region "
                "failure must meet the recovery objectives"
            )
        if rules.high_availability:
            self._require_high_availability()
        if rules.requires_account_pin and not self.account_id:
            raise ValueError(
                f"{ns_key('accountId')} must be set for tier '{self.tier}', so the stack can never "
                "deploy into another account"
            )
        # A standby too (issue 20.7c): after a switchover its cluster is the writer, and its plan is the one that backs
        # the writer up.
        if rules.requires_cross_region_backup and not self.cross_region_backup:
            raise ValueError(
                f"{ns_key('crossRegionBackup')} = false is not allowed for tier '{self.tier}': the database's "
                f"backups must be copied to {ns_key('drRegion')} (allowed: true)"
            )

    def _require_high_availability(self) -> None:
        single_points = {
            "interfaceEndpointZones": (self.interface_endpoints and self.interface_endpoint_zones < 2,
                                       "endpoints in one zone are lost with it; use 2 or 3"),
            "natStrategy": (self.nat_strategy == "single", "one NAT gateway is a single point of failure for all "
                            "egress; use 'one-per-az'"),
            "auroraInstances": (self.aurora_instances < 2, "a single Aurora instance has no reader to fail over "
                                "to; use 2 or more"),
            "cacheNodes": (self.cache_nodes < 2, "a single cache node has no replica to fail over to; use 2 or more"),
            "kafkaZones": (self.kafka_zones < ZONE_COUNT, "brokers in fewer than 3 zones cannot keep a "
                           "replication factor of 3 across zones; use 3"),
            "nodeMin": (self.node_min < ZONE_COUNT, "fewer than 3 nodes cannot place a workload in every zone; "
                        "use 3 or more"),
            "eksPublicAccessCidrs": (covers_internet(self.eks_public_access_cidrs),
                                     "the Kubernetes API must not be open to the whole internet (these CIDRs "
                                     "together cover it); leave it empty (private endpoint only) or list your own "
                                     "CIDRs"),
        }  # fmt: skip
        for key, (broken, reason) in single_points.items():
            if broken and not (self.standby_for and key in STANDBY_RELAXED):
                value = self._shown(key, getattr(self, to_snake(key)))
                raise ValueError(f"{ns_key(key)} = {value} is not allowed for tier '{self.tier}': {reason}")
