"""The workflows of an ARC Region switch plan for an active/passive region pair, as plain data.

Pure functions, no Pulumi resources: the component (components/region_switch.py) passes these blocks to
`aws.arcregionswitch.Plan`, and `python -m ops failover|failback --dry-run` prints the same blocks from the
stack files alone, so what the dry run shows is what the plan holds.

Block types and fields are those of pulumi-aws 7.51.1 `aws.arcregionswitch.Plan` (snake_case inputs of
`PlanWorkflowStep*Args`) and of the `arc-region-switch` service model in botocore 1.44.18 (ExecutionBlockConfiguration).
What each block does at run time, from the ARC developer guide (https://docs.aws.amazon.com/r53recovery/latest/dg/):
- EKSResourceScaling ("eks-resource-scaling-block"): scales the activating cluster's Deployments (through their
  HPAs' minReplicas) to `target_percent` of what the deactivating region ran (sampled max of the last 24 h), then
  waits until the pods are ready or the timeout. The cluster autoscaler adds the nodes the pods need.
- ManualApproval ("manual-approval-block"): the execution waits until a principal allowed to assume
  `approval_role` approves or declines (ApprovePlanExecutionStep).
- AuroraGlobalDatabase ("aurora-global-database-block"): behavior switchoverOnly calls SwitchoverGlobalCluster
  (graceful: no data loss); the ungraceful behavior failover calls FailoverGlobalCluster with AllowDataLoss.
- CustomActionLambda ("custom-action-lambda-block"): invokes the function of `region_to_run`
  (activatingRegion or deactivatingRegion) among the listed functions, retrying every `retry_interval_minutes`
  until the timeout.
- Route53HealthCheck ("route53-health-check-block"): ARC creates one health check per region and sets their
  state on execution; the record sets of `record_name` are mapped to regions by `record_sets`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from components.errors import InvalidArgumentError

RTO_MINUTES_MAX = 30
"""The platform's region RTO (issue 14): 30 minutes. The plan refuses a larger objective."""
PLAN_NAME_LIMIT = 32
"""Characters in a plan name (arc-region-switch API reference, CreatePlan: 1-32, [a-zA-Z0-9-])."""
SCALE_TIMEOUT_MINUTES = 10
"""How long the scaling step waits for the pods (ops/recovery_budget.py budgets 300 s for the nodes)."""
APPROVAL_TIMEOUT_MINUTES = 15
"""How long the manual approval waits before the execution fails (the decision budget is 600 s)."""
DATABASE_TIMEOUT_MINUTES = 10
"""How long the Aurora block waits for the switchover or failover (AWS: typically under a minute)."""
ACTION_TIMEOUT_MINUTES = 5
"""How long ARC retries a custom Lambda action."""
ACTION_RETRY_MINUTES = 1.0
"""Minutes between ARC's retries of a failed custom Lambda action."""
TRAFFIC_TIMEOUT_MINUTES = 5
"""How long the Route 53 health check block waits."""
READERS_TIMEOUT_MINUTES = 5
"""How long ARC reruns the add-readers function while a create call fails: it only creates the readers (a few
CreateDBInstance calls, seconds) and does not wait for them, so a few retries are all it needs; at this timeout the
failover still fits the RTO (tests/test_region_switch_readers.py)."""
STEP_NAMES = ("scale-capacity", "decide", "promote-database", "region-actions", "add-readers", "move-traffic",
              "peer-actions", "remove-readers")  # fmt: skip
"""The steps of the activate workflows, in order; add-readers only in the failover (after the database step, before
move-traffic), peer-actions and remove-readers only in the failback, after move-traffic (the failover ends with
move-traffic; ops/recovery_budget.py maps them to the budget)."""


@dataclass(frozen=True)
class RegionSide:
    """What the plan acts on in one region of the pair."""

    region: str
    """AWS region, e.g. us-east-1. Required."""
    stack: str
    """Stack deployed there; also the Route 53 failover record's set identifier. Required."""
    db_cluster_arn: str
    """ARN of the Aurora cluster that is a member of the global database. Required."""
    eks_cluster_arn: str
    """ARN of the EKS cluster. Required."""
    action_function_arn: str
    """ARN of the region's custom-action Lambda function (components/region_switch_actions.py). Required."""
    readers_function_arn: str
    """ARN of the region's Aurora readers function (lambdas/region_switch/readers.py). Required."""


@dataclass(frozen=True)
class ScaledWorkload:
    """A Deployment the plan scales, with its HorizontalPodAutoscaler."""

    namespace: str
    """Kubernetes namespace. Required."""
    name: str
    """Deployment name. Required."""
    hpa_name: str
    """HPA that owns the Deployment's replicas (ARC raises its minReplicas). Required."""


@dataclass(frozen=True)
class PlanModel:
    """Everything the workflows are made of; built from the pair's config alone (no cloud look-up)."""

    name: str
    """Plan name (1-32 letters, digits, hyphens). Required."""
    primary: RegionSide
    """The primary side (traffic in normal operation). Required."""
    standby: RegionSide
    """The standby side. Required."""
    global_cluster_id: str
    """Aurora global database identifier. Required."""
    hosted_zone_id: str
    """Route 53 hosted zone of the failover records. Required."""
    record_name: str
    """The failover records' name. Required."""
    approval_role_arn: str
    """IAM role whose principals may approve the database step. Required."""
    workloads: tuple[ScaledWorkload, ...] = field(default=())
    """Deployments scaled in the activating region. Default: none."""
    rto_minutes: int = RTO_MINUTES_MAX
    """Recovery time objective. Default: 30."""
    scale_percent: int = 100
    """Capacity to reach in the activating region, relative to the deactivating one. Default: 100."""

    def __post_init__(self) -> None:
        if not 1 <= len(self.name) <= PLAN_NAME_LIMIT or not self.name.replace("-", "").isalnum():
            raise InvalidArgumentError(f"name: '{self.name}' must be 1-{PLAN_NAME_LIMIT} letters, digits or hyphens")
        if self.primary.region == self.standby.region:
            raise InvalidArgumentError(f"standby.region: '{self.standby.region}' is the primary's region")
        if not 1 <= self.rto_minutes <= RTO_MINUTES_MAX:
            raise InvalidArgumentError(f"rto_minutes: {self.rto_minutes} must be 1-{RTO_MINUTES_MAX}")
        if not 1 <= self.scale_percent <= 100:
            raise InvalidArgumentError(f"scale_percent: {self.scale_percent} must be 1-100")

    @property
    def regions(self) -> list[str]:
        """The plan's two regions, primary first."""
        return [self.primary.region, self.standby.region]

    def side(self, region: str) -> RegionSide:
        """The side of a region of the pair."""
        return self.primary if region == self.primary.region else self.standby

    def workflows(self) -> list[dict[str, Any]]:
        """One activate workflow per region: activating the standby is the failover, activating the primary
        the failback (ARC's active/passive plans run the activate workflow of the target region)."""
        return [self.activate(self.standby.region), self.activate(self.primary.region)]

    def activate(self, region: str) -> dict[str, Any]:
        """The workflow that makes `region` the active one, every step in order."""
        target = self.side(region)
        other = self.primary if target is self.standby else self.standby
        verb = "failover" if target is self.standby else "failback"
        return {
            "workflow_target_action": "activate",
            "workflow_target_region": region,
            "workflow_description": f"{verb}: make {target.stack} ({region}) the active region",
            "steps": [
                self._scale(target, other),
                self._approve(target, other),
                self._database(target),
                self._actions("region-actions", "activatingRegion", target),
                # The standby's Aurora readers: created AFTER the database step (an instance created in the
                # secondary just before a switchover or failover may interfere with the global database's
                # operation) and not waited for (the promoted Serverless v2 writer serves reads and writes; the
                # readers add read capacity once available); removed once the database has moved back. The
                # primary's readers are its own (auroraInstances).
                *([self._readers("add-readers", "activatingRegion")] if target is self.standby else []),
                self._traffic(target),
                # Only the failback has work in the region handing over: the standby's cache back to its size and
                # its added readers removed. Both come AFTER move-traffic: until the health checks move the
                # record, the standby still serves all traffic and must keep the capacity it was given.
                *([self._actions("peer-actions", "deactivatingRegion", other)] if other is self.standby else []),
                *([self._readers("remove-readers", "deactivatingRegion")] if other is self.standby else []),
            ],
        }

    def _scale(self, target: RegionSide, other: RegionSide) -> dict[str, Any]:
        # Before the database: capacity takes minutes and is harmless to add; the decision comes after it.
        return {
            "name": "scale-capacity",
            "execution_block_type": "EKSResourceScaling",
            "description": f"scale {target.stack}'s workloads to {self.scale_percent}% of {other.stack}'s and wait "
            "for the pods (the cluster autoscaler adds the nodes)",
            "eks_resource_scaling_configs": [
                {
                    "capacity_monitoring_approach": "sampledMaxInLast24Hours",
                    "target_percent": self.scale_percent,
                    "timeout_minutes": SCALE_TIMEOUT_MINUTES,
                    "eks_clusters": [{"cluster_arn": side.eks_cluster_arn} for side in (self.primary, self.standby)],
                    "kubernetes_resource_types": [{"api_version": "apps/v1", "kind": "Deployment"}],
                    # botocore's shape is a list of maps application -> region -> {namespace, name, hpaName}
                    # (KubernetesScalingApplication); pulumi-aws flattens the outer key into `namespace` and the
                    # region key into `resource_name`. Each workload is named in both regions (same names).
                    "scaling_resources": [
                        {
                            "namespace": workload.name,
                            "resources": [
                                {
                                    "resource_name": side.region,
                                    "name": workload.name,
                                    "namespace": workload.namespace,
                                    "hpa_name": workload.hpa_name,
                                }
                                for side in (self.primary, self.standby)
                            ],
                        }
                        for workload in self.workloads
                    ],
                    # Ungraceful (the other region is gone): no sample to scale from; go on with what is there.
                    "ungracefuls": [{"minimum_success_percentage": 0}],
                }
            ],
        }

    def _approve(self, target: RegionSide, other: RegionSide) -> dict[str, Any]:
        return {
            "name": "decide",
            "execution_block_type": "ManualApproval",
            "description": f"a person confirms moving the writer from {other.stack} to {target.stack} (a failover "
            "loses up to the replication lag)",
            "execution_approval_configs": [
                {"approval_role": self.approval_role_arn, "timeout_minutes": APPROVAL_TIMEOUT_MINUTES}
            ],
        }

    def _database(self, target: RegionSide) -> dict[str, Any]:
        return {
            "name": "promote-database",
            "execution_block_type": "AuroraGlobalDatabase",
            "description": f"make {target.stack}'s cluster the writer of {self.global_cluster_id}: switchover "
            "(graceful) or failover with AllowDataLoss (ungraceful)",
            "global_aurora_configs": [
                {
                    "behavior": "switchoverOnly",
                    "ungracefuls": [{"ungraceful": "failover"}],
                    "global_cluster_identifier": self.global_cluster_id,
                    "database_cluster_arns": [self.primary.db_cluster_arn, self.standby.db_cluster_arn],
                    "timeout_minutes": DATABASE_TIMEOUT_MINUTES,
                }
            ],
        }

    def _actions(self, name: str, where: str, side: RegionSide) -> dict[str, Any]:
        # ARC has no block for a secret's replication or an ElastiCache replica count: the region's function
        # (lambdas/region_switch/handler.py) reads which cluster is the writer and does what that region needs.
        if side is self.standby:
            what = (
                "promote the master credential's replica to a standalone secret and raise the cache replicas"
                if where == "activatingRegion"
                else "return the cache replicas to the standby's own size"
            )
        else:
            what = "replicate the master credential to the standby's region again (over the standalone copy)"
        return {
            "name": name,
            "execution_block_type": "CustomActionLambda",
            "description": f"{side.stack}'s region-switch function: {what}",
            "custom_action_lambda_configs": [
                {
                    "region_to_run": where,
                    "retry_interval_minutes": ACTION_RETRY_MINUTES,
                    "timeout_minutes": ACTION_TIMEOUT_MINUTES,
                    "lambdas": [{"arn": s.action_function_arn} for s in (self.primary, self.standby)],
                    # Ungraceful: the deactivating region may be gone, so its function is skipped. The activating
                    # region's function (the credential's promotion) is not marked skip, but whether ARC runs it in
                    # an ungraceful execution is open: the ARC developer guide ("Custom action Lambda execution
                    # block") says "In ungraceful execution mode, Region switch skips the Lambda execution block
                    # step" - see docs/region-switch.md, "Not exercised here".
                    **({"ungracefuls": [{"behavior": "skip"}]} if where == "deactivatingRegion" else {}),
                }
            ],
        }

    def _readers(self, name: str, where: str) -> dict[str, Any]:
        # ARC has no block that adds Aurora reader instances (AuroraServerlessScaling sizes ACUs, AuroraProvisioned-
        # Scaling one mapped instance): the standby's readers function does it; the step name is its command.
        what = (
            f"create the configured readers in {self.standby.stack}'s cluster (the writer's class, other zones; "
            "not waited for: they add read capacity once available)"
            if name == "add-readers"
            else f"delete the readers add-readers created in {self.standby.stack}'s cluster"
        )
        return {
            "name": name,
            "execution_block_type": "CustomActionLambda",
            "description": f"{self.standby.stack}'s readers function: {what}",
            "custom_action_lambda_configs": [
                {
                    "region_to_run": where,
                    "retry_interval_minutes": ACTION_RETRY_MINUTES,
                    "timeout_minutes": READERS_TIMEOUT_MINUTES if name == "add-readers" else ACTION_TIMEOUT_MINUTES,
                    "lambdas": [{"arn": s.readers_function_arn} for s in (self.primary, self.standby)],
                    **({"ungracefuls": [{"behavior": "skip"}]} if where == "deactivatingRegion" else {}),
                }
            ],
        }

    def _traffic(self, target: RegionSide) -> dict[str, Any]:
        return {
            "name": "move-traffic",
            "execution_block_type": "Route53HealthCheck",
            "description": (
                f"last: ARC's health checks send {self.record_name} to {target.stack}'s record"
                if target is self.standby
                else f"ARC's health checks send {self.record_name} to {target.stack}'s record, before the standby "
                "gives its capacity back"
            ),
            "route53_health_check_configs": [
                {
                    "hosted_zone_id": self.hosted_zone_id,
                    "record_name": self.record_name,
                    "timeout_minutes": TRAFFIC_TIMEOUT_MINUTES,
                    # The set identifiers are stack names (stacks/builders.py failover_record): ARC cannot map them
                    # to regions from the name alone, so the plan says which is which.
                    "record_sets": [
                        {"record_set_identifier": side.stack, "region": side.region}
                        for side in (self.primary, self.standby)
                    ],
                }
            ],
        }


def describe(workflow: dict[str, Any]) -> list[str]:
    """The lines a dry run prints for one workflow: each step, its block type and what it does."""
    lines = [f"workflow activate {workflow['workflow_target_region']}: {workflow['workflow_description']}"]
    for number, step in enumerate(workflow["steps"], 1):
        timeout = next(
            (config[0].get("timeout_minutes") for key, config in step.items() if key.endswith("_configs")), None
        )
        lines.append(f"  {number}. {step['name']:<17} {step['execution_block_type']:<20} timeout {timeout} min")
        lines.append(f"     {'':<17} {step['description']}")
    return lines
