"""Cost levers of a stack: each a config choice, priced by the cost model on a copy of the stack's plan with that
one choice changed, so its amount comes from the same price table and rules as the stack's total.

    python -m pricing.levers prod        # the levers of prod and what each is worth per month

A lever is either taken (the stack's config already makes the cheaper choice: its amount is what that choice saves
against the alternative) or open (not taken: its amount is what taking it would save). A lever knows its state from
the stack's config. Every lever of a primary keeps the security baseline, zone-failure tolerance and production
classes; a standby's are the sizes it runs below its tier until `ops failover` (allowed by config, warned by the
program); what each gives up is said next to it. The plan copy changes the priced inputs only (instance classes,
Serverless v2 minimum, Aurora storage type, a log group's class, interface endpoints); tests/test_tiers.py checks one
lever against a real run of the program with the same config, so the copy and the program agree.

Below the levers: the open levers' sum against the stack's gap, and commitment pricing (reserved DB instances and
cache nodes, Compute Savings Plans), a purchase decision rather than the tier: the on-demand spend it could cover
and the average discount that would close the gap. No "with commitments" total is computed: neither the price
reference nor the stored pages give a sourced 1-year no-upfront rate for these classes, and none is invented.

Exit status: 0; 2 on a usage or configuration error (as pricing.report).
"""

from __future__ import annotations

import argparse
import copy
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from offline.cli import exit_status_help, run
from offline.engine import known_stacks
from pricing.model import AURORA_IO_OPTIMIZED, CostReport, PriceTable, price_plan

Plan = dict[str, Any]

AURORA_INSTANCE = "aws:rds/clusterInstance:ClusterInstance"
AURORA_CLUSTER = "aws:rds/cluster:Cluster"
NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
CACHE = "aws:elasticache/replicationGroup:ReplicationGroup"
ENDPOINT = "aws:ec2/vpcEndpoint:VpcEndpoint"
BROKERS = "aws:msk/cluster:Cluster"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


def _resources(plan: Plan, type_token: str) -> list[dict[str, Any]]:
    return [r for c in plan["components"] for r in c["resources"] if r["type"] == type_token]


def aurora_serverless(min_acu: float) -> Callable[[Plan], None]:
    """The plan's Aurora instances as Serverless v2 held at `min_acu` (auroraInstanceClass=db.serverless,
    auroraMinAcu=min_acu)."""

    def change(plan: Plan) -> None:
        for instance in _resources(plan, AURORA_INSTANCE):
            instance["inputs"]["instanceClass"] = "db.serverless"
        for cluster in _resources(plan, AURORA_CLUSTER):
            scaling = cluster["inputs"].setdefault("serverlessv2ScalingConfiguration", {})
            scaling["minCapacity"] = min_acu
            scaling["maxCapacity"] = max(float(scaling.get("maxCapacity", min_acu)), min_acu)

    return change


def aurora_class(instance_class: str) -> Callable[[Plan], None]:
    """The plan's Aurora instances of `instance_class` (auroraInstanceClass)."""

    def change(plan: Plan) -> None:
        for instance in _resources(plan, AURORA_INSTANCE):
            instance["inputs"]["instanceClass"] = instance_class

    return change


def node_type(instance_type: str) -> Callable[[Plan], None]:
    """The plan's EKS node groups of `instance_type` (nodeInstanceType)."""

    def change(plan: Plan) -> None:
        for group in _resources(plan, NODE_GROUP):
            group["inputs"]["instanceTypes"] = [instance_type]

    return change


def cache_type(node: str) -> Callable[[Plan], None]:
    """The plan's cache of `node` nodes (cacheNodeType)."""

    def change(plan: Plan) -> None:
        for group in _resources(plan, CACHE):
            group["inputs"]["nodeType"] = node

    return change


def broker_type(broker: str) -> Callable[[Plan], None]:
    """The plan's MSK brokers of `broker` (kafkaBrokerType)."""

    def change(plan: Plan) -> None:
        for cluster in _resources(plan, BROKERS):
            cluster["inputs"].setdefault("brokerNodeGroupInfo", {})["instanceType"] = broker

    return change


def aurora_storage(storage_type: str) -> Callable[[Plan], None]:
    """The plan's Aurora clusters with `storage_type` (aurora for Standard, aurora-iopt1 for I/O-Optimized)."""

    def change(plan: Plan) -> None:
        for cluster in _resources(plan, AURORA_CLUSTER):
            cluster["inputs"]["storageType"] = storage_type

    return change


def log_class(suffix: str, log_group_class: str) -> Callable[[Plan], None]:
    """The plan's log groups whose name ends with `suffix` in `log_group_class` (STANDARD or INFREQUENT_ACCESS)."""

    def change(plan: Plan) -> None:
        for group in _resources(plan, LOG_GROUP):
            if group["name"].endswith(suffix):
                group["inputs"]["logGroupClass"] = log_group_class

    return change


def no_interface_endpoints(plan: Plan) -> None:
    """The plan without its interface endpoints (interfaceEndpoints=false); the NAT data they would add is not
    in the copy (the usage assumption nat_data_gb stays), so the amount is the endpoints' own price."""
    for component in plan["components"]:
        component["resources"] = [
            r
            for r in component["resources"]
            if not (r["type"] == ENDPOINT and r["inputs"].get("vpcEndpointType") == "Interface")
        ]


@dataclass(frozen=True)
class Lever:
    """A config choice and what it is worth."""

    name: str
    config: str
    """The config (KEY=VALUE ...) or the code that makes the choice."""
    taken: bool
    """True: the stack makes this choice (alternative: what it would run otherwise); False: it could."""
    change: Callable[[Plan], None]
    """For a taken lever, the alternative; for an open one, the choice."""
    gives_up: str
    """What the choice costs besides money (never the security baseline, zone tolerance or production classes)."""


LEVERS: dict[str, tuple[Lever, ...]] = {
    "dev": (
        Lever("Aurora Standard storage instead of I/O-Optimized at the assumed I/O", "storageType unset = Standard",
              True, aurora_storage(AURORA_IO_OPTIMIZED),
              "none while I/O stays at the usage assumption; I/O-Optimized pays off only at much higher I/O"),
    ),
    "prod": (
        Lever("Aurora provisioned db.r6g.large instead of Serverless v2 held at AWS's 8-ACU floor",
              "auroraInstanceClass=db.r6g.large", True, aurora_serverless(8),
              "no automatic scaling above 16 GiB: a bigger class is an instance change (a failover of a few seconds "
              "to a minute per instance)"),
        Lever("Aurora db.r6g.large instead of db.r7g.large", "auroraInstanceClass=db.r6g.large", True,
              aurora_class("db.r7g.large"), "Graviton2 instead of Graviton3: less CPU per instance"),
        Lever("Nodes c7g.large instead of m7g.large", "nodeInstanceType=c7g.large", True, node_type("m7g.large"),
              "4 GiB per node instead of 8: enough while the capacity model stays CPU-bound (stacks/capacity.py)"),
        Lever("Cache cache.r6g.large instead of cache.r7g.large", "cacheNodeType=cache.r6g.large", True,
              cache_type("cache.r7g.large"), "Graviton2 instead of Graviton3"),
        Lever("No interface endpoints (ECR, STS, Logs and Secrets Manager through the NAT gateway of each zone)",
              "interfaceEndpoints=false", False, no_interface_endpoints,
              "AWS API calls leave through the NAT gateways (still TLS and IAM-signed, from private subnets); adds "
              "NAT data processing for that traffic (not in this amount)"),
        Lever("Aurora Standard storage instead of I/O-Optimized at the assumed I/O", "storageType unset = Standard",
              True, aurora_storage(AURORA_IO_OPTIMIZED),
              "none while I/O stays at the usage assumption; I/O-Optimized pays off only at much higher I/O"),
        Lever("VPC flow logs in the Infrequent Access log class (retention unchanged)",
              "components/network.py log_group_class=INFREQUENT_ACCESS", False,
              log_class("-flow-logs", "INFREQUENT_ACCESS"),
              "Live Tail, metric and subscription filters on that group (none exists on it; GuardDuty reads flow logs "
              "from its own stream); not taken: the class is fixed at creation, so a live stack would replace the "
              "named group and delete the flow logs PCI 10.5.1 keeps for 12 months; delivery of flow logs to an IA "
              "group not checked against AWS here"),
    ),
    "prod-dr": (
        Lever("Standby Aurora at 0.5 ACU instead of the 2 ACUs AWS recommends with Performance Insights",
              "auroraMinAcu=0.5", True, aurora_serverless(2),
              "the secondary scales up more slowly from 0.5 ACU after promotion (warned)"),
        Lever("Standby nodes t4g.medium instead of c7g.large", "nodeInstanceType=t4g.medium", True,
              node_type("c7g.large"), "burstable until failover: ops failover scales counts, not classes (warned)"),
        Lever("Standby cache cache.t4g.micro instead of cache.r6g.large", "cacheNodeType=cache.t4g.micro", True,
              cache_type("cache.r6g.large"), "a small cache, rebuilt from the database after failover (warned)"),
        Lever("Standby brokers kafka.t3.small instead of kafka.m7g.large", "kafkaBrokerType=kafka.t3.small", True,
              broker_type("kafka.m7g.large"), "burstable brokers until their class is changed after failover (warned)"),
    ),
}  # fmt: skip
"""The levers of each stack (a stack without an entry has none listed)."""


@dataclass(frozen=True)
class PricedLever:
    """A lever, its state in the plan and its amount per month at baseline: what the choice saves (positive)
    against the alternative."""

    lever: Lever
    saving: float
    taken: bool


def price_levers(plan: Plan, table: PriceTable, levers: tuple[Lever, ...]) -> list[PricedLever]:
    """Each lever's monthly saving at baseline, from copies of `plan` priced by `table`."""
    baseline = price_plan(plan, table).baseline
    priced = []
    for lever in levers:
        variant = copy.deepcopy(plan)
        lever.change(variant)
        other = price_plan(variant, table).baseline
        saving = other - baseline if lever.taken else baseline - other
        priced.append(PricedLever(lever, round(saving, 2), lever.taken))
    return priced


@dataclass(frozen=True)
class Outlook:
    """A stack's gap against its budget, its open levers' sum, and what commitment pricing could cover."""

    baseline: float
    budget: float | None
    open_sum: float
    """The open levers' amounts added up (each priced alone; none of them overlap today)."""
    committable: dict[str, float]
    """On-demand spend at baseline that a 1-year commitment could cover, by what covers it."""

    @property
    def gap(self) -> float:
        """Baseline over the budget (0 when within, or without a budget)."""
        return round(max(0.0, self.baseline - self.budget), 2) if self.budget is not None else 0.0

    @property
    def after_open(self) -> float:
        """The baseline with every open lever taken."""
        return round(self.baseline - self.open_sum, 2)

    @property
    def discount_needed(self) -> float | None:
        """The average commitment discount on the committable spend that would close what the open levers leave
        (None when nothing is left, or nothing can be committed)."""
        left = self.after_open - self.budget if self.budget is not None else 0.0
        total = sum(self.committable.values())
        return left / total if left > 0 and total > 0 else None

    def lines(self) -> list[str]:
        """The outlook for a person (text and the generated tables)."""
        budget = f"{self.budget:,.2f}" if self.budget is not None else "none"
        state = (f"over by {self.after_open - self.budget:,.2f}" if self.budget is not None
                 and self.after_open > self.budget else "within budget")  # fmt: skip
        out = [f"Open levers together: {self.open_sum:,.2f}; gap at baseline: {self.gap:,.2f} (budget {budget}); "
               f"with every open lever taken: {self.after_open:,.2f}, {state}."]  # fmt: skip
        covered = ", ".join(f"{name} {amount:,.2f}" for name, amount in self.committable.items() if amount)
        total = sum(self.committable.values())
        text = (f"Commitments (a purchase decision, not the tier; never in the baseline): no sourced 1-year "
                f"no-upfront rate in the price reference or the stored pages, so no 'with commitments' figure. "
                f"On-demand spend they could cover: {covered or 'none'} (total {total:,.2f}); not covered: MSK "
                f"brokers (no reservations), the CodeBuild CI runner (Compute Savings Plans cover EC2, Fargate and "
                f"Lambda), Serverless v2 ACUs.")  # fmt: skip
        needed = self.discount_needed
        if needed is not None:
            text += (f" Closing the rest with commitments alone would need {needed:.0%} off all of it"
                     + (" (more than all of it: not possible)." if needed > 1 else "."))  # fmt: skip
        out.append(text)
        return out


def committable(plan: Plan, table: PriceTable) -> dict[str, float]:
    """On-demand spend at baseline (minimum capacity) of what a 1-year commitment applies to: provisioned Aurora
    instances (reserved DB instances), cache nodes (ElastiCache reserved nodes), EKS nodes (Compute Savings Plans)."""
    aurora = sum(table.hourly(f"rds:{i['inputs']['instanceClass']}") for i in _resources(plan, AURORA_INSTANCE)
                 if i["inputs"].get("instanceClass") != "db.serverless")  # fmt: skip
    cache = sum(table.hourly(f"elasticache:{g['inputs'].get('engine', 'redis')}:{g['inputs'].get('nodeType')}")
                * int(g["inputs"].get("numCacheClusters", 1)) for g in _resources(plan, CACHE))  # fmt: skip
    nodes = sum(table.hourly(f"ec2:{(g['inputs'].get('instanceTypes') or ['t3.medium'])[0]}")
                * int((g["inputs"].get("scalingConfig") or {}).get("minSize", 1))
                for g in _resources(plan, NODE_GROUP))  # fmt: skip
    return {"Aurora instances": round(aurora, 2), "cache nodes": round(cache, 2), "EKS nodes": round(nodes, 2)}


def outlook(plan: Plan, report: CostReport, table: PriceTable, priced: list[PricedLever]) -> Outlook:
    """The stack's gap, its open levers' sum and its committable spend."""
    open_sum = round(sum(item.saving for item in priced if not item.taken), 2)
    return Outlook(report.baseline, report.budget, open_sum, committable(plan, table))


def render(stack: str, baseline: float, budget: float | None, priced: list[PricedLever],
           view: Outlook | None = None) -> str:  # fmt: skip
    """The levers as a text table, with the outlook below them when given."""
    lines = [f"Cost levers of '{stack}' (USD per month at baseline; baseline {baseline:,.2f}"
             + (f", budget {budget:,.2f})" if budget is not None else ")"), ""]  # fmt: skip
    for item in priced:
        state = "taken" if item.taken else "open "
        lines.append(f"  [{state}] {item.saving:>9,.2f}  {item.lever.name} ({item.lever.config})")
        lines.append(f"              gives up: {item.lever.gives_up}")
    if not priced:
        lines.append("  (no levers listed for this stack)")
    if view is not None:
        lines += [""] + [f"  {line}" for line in view.lines()]
    return "\n".join(lines)


def _main(argv: list[str] | None) -> int:
    from offline.plan import plan_stack, prepare

    parser = argparse.ArgumentParser(
        prog="python -m pricing.levers",
        description=__doc__.split("\n\n")[0],
        epilog=exit_status_help(errors="bad argument, broken stack file or price table, a config value refused"),
    )
    parser.add_argument("stack", choices=known_stacks())
    args = parser.parse_args(argv)
    overrides, table = prepare(args.stack, [])
    plan, report = plan_stack(args.stack, overrides, table)
    priced = price_levers(plan, table, LEVERS.get(args.stack, ()))
    print(render(args.stack, report.baseline, report.budget, priced, outlook(plan, report, table, priced)))
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m pricing.levers` (exit status: see offline/cli.py)."""
    return run(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
