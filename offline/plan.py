"""The offline plan: run the program for a stack under the mock engine and print what it would create.

    python -m offline.plan dev                 # the summary: resources and cost per component, capacity, warnings
    python -m offline.plan dev --resources     # the summary, then every resource and the outputs
    python -m offline.plan prod --json plan.json
    python -m offline.plan dev --config natStrategy=one-per-az   # as after `pulumi config set`

Exit status: 0 on success; 2 on a usage or configuration error - a bad argument, a broken stack file,
a config value the program refuses (the same message `pulumi up` prints), a broken price table or an
unwritable --json path - with one `error:` line and no traceback (offline/cli.py).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from typing import Any

from offline.cli import CommandError, exit_status_help, output_path, run, write_output
from offline.engine import PROJECT_DIR, OfflineRun, known_stacks, run_stack
from offline.stackfile import check_project, check_stack_file
from offline.values import convert
from pricing.model import CostReport, PriceTable, component_label, load_prices, price_plan

KEY_SETTINGS: dict[str, tuple[str, ...]] = {
    "pulumi:providers:aws": ("region", "allowedAccountIds"),
    "aws:kms/key:Key": ("enableKeyRotation", "rotationPeriodInDays", "deletionWindowInDays"),
    "aws:kms/alias:Alias": ("name",),
    "aws:ec2/vpc:Vpc": ("cidrBlock", "enableDnsSupport", "enableDnsHostnames"),
    "aws:ec2/subnet:Subnet": ("cidrBlock", "availabilityZoneId", "mapPublicIpOnLaunch"),
    "aws:ec2/natGateway:NatGateway": ("subnetId", "connectivityType"),
    "aws:ec2/route:Route": ("routeTableId", "destinationCidrBlock", "gatewayId", "natGatewayId"),
    "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup": ("ingress", "egress"),
    "aws:ec2/vpcEndpoint:VpcEndpoint": ("serviceName", "vpcEndpointType", "privateDnsEnabled"),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": ("ipProtocol", "fromPort", "toPort", "cidrIpv4"),
    "aws:rds/subnetGroup:SubnetGroup": ("name",),
    "aws:elasticache/subnetGroup:SubnetGroup": ("name",),
    "aws:cloudwatch/logGroup:LogGroup": ("name", "retentionInDays", "kmsKeyId"),
    "aws:ec2/flowLog:FlowLog": ("trafficType", "logDestinationType", "maxAggregationInterval"),
    "aws:cloudwatch/metricAlarm:MetricAlarm": ("metricName", "comparisonOperator", "threshold"),
    "aws:ec2/securityGroup:SecurityGroup": ("description",),
    "aws:rds/cluster:Cluster": (
        "engineVersion",
        "storageEncrypted",
        "iamDatabaseAuthenticationEnabled",
        "backupRetentionPeriod",
        "deletionProtection",
        "serverlessv2ScalingConfiguration",
    ),
    "aws:rds/clusterInstance:ClusterInstance": ("instanceClass", "availabilityZone", "performanceInsightsEnabled"),
    "aws:elasticache/replicationGroup:ReplicationGroup": (
        "engine",
        "engineVersion",
        "nodeType",
        "numCacheClusters",
        "multiAzEnabled",
        "transitEncryptionMode",
        "snapshotRetentionLimit",
    ),
    "aws:msk/cluster:Cluster": (
        "kafkaVersion",
        "numberOfBrokerNodes",
        "brokerNodeGroupInfo.instanceType",
        "enhancedMonitoring",
        "encryptionInfo.encryptionInTransit.clientBroker",
    ),
    "aws:appautoscaling/target:Target": ("scalableDimension", "maxCapacity"),
    "aws:secretsmanager/secret:Secret": ("name", "recoveryWindowInDays"),
    "aws:sns/topic:Topic": ("name",),
    "aws:backup/vault:Vault": ("name",),
    "aws:backup/vaultLockConfiguration:VaultLockConfiguration": ("minRetentionDays",),
    "eks:index:Cluster": (
        "version",
        "authenticationMode",
        "endpointPublicAccess",
        "publicAccessCidrs",
        "upgradePolicy.supportType",
        "enabledClusterLogTypes",
    ),
    "aws:eks/nodeGroup:NodeGroup": ("amiType", "instanceTypes", "scalingConfig"),
    "aws:eks/addon:Addon": ("addonName", "addonVersion"),
    "aws:ec2/launchTemplate:LaunchTemplate": ("metadataOptions.httpTokens", "metadataOptions.httpPutResponseHopLimit"),
    "kubernetes:helm.sh/v4:Chart": ("chart", "version", "namespace"),
    "aws:lb/loadBalancer:LoadBalancer": (
        "internal",
        "dropInvalidHeaderFields",
        "desyncMitigationMode",
        "enableDeletionProtection",
    ),
    "aws:lb/listener:Listener": ("port", "protocol", "sslPolicy"),
    "aws:lb/targetGroup:TargetGroup": ("targetType", "protocol", "port"),
    "aws:wafv2/webAcl:WebAcl": ("scope",),
    "aws:grafana/workspace:Workspace": ("grafanaVersion", "authenticationProviders", "permissionType"),
    "aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken": ("name", "secondsToLive"),
    "grafana:oss/dataSource:DataSource": ("type", "uid", "url"),
    "grafana:oss/dashboard:Dashboard": ("folder",),
}
"""The settings the plan shows per resource type; other types show their name only."""

STACK_GROUP = "(stack)"


def redact(value: Any) -> Any:
    """The value with every secret replaced by '[secret]' and every unknown by '[unknown]'."""
    return convert(value, lambda _: "[secret]", "[unknown]")


def _settings(type_token: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """The key settings of a resource; a dotted key reads a nested input."""
    found: dict[str, Any] = {}
    for path in KEY_SETTINGS.get(type_token, ()):
        value: Any = inputs
        for part in path.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        if value is not None:
            found[path] = value
    return found


COMPONENT_PREFIX = "fintech:"
"""Type prefix of this project's own components, which group the plan; other components (pulumi-eks,
Helm charts) are multi-language components listed as resources of their parent."""


def _component_of(parents: dict[str, str], components: dict[str, Any], parent: str) -> str:
    while parent and parent not in components:
        parent = parents.get(parent, "")
    return parent or STACK_GROUP


def summarize(run: OfflineRun) -> dict[str, Any]:
    """The plan as plain data: resources grouped by component, with their key settings."""
    components = {r.urn: r for r in run.resources if r.type.startswith(COMPONENT_PREFIX)}
    parents = {r.urn: r.parent for r in run.resources}
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for resource in run.resources:
        if resource.urn in components:
            continue
        inputs = redact(resource.inputs)
        groups[_component_of(parents, components, resource.parent)].append(
            {
                "type": resource.type,
                "name": resource.name,
                "urn": resource.urn,
                "id": resource.id,
                "dependencies": sorted(set(resource.dependencies)),
                "protect": resource.protect,
                "settings": _settings(resource.type, inputs),
                "inputs": inputs,
            }
        )
    custom = [r for r in run.resources if r.urn not in components]
    return {
        "stack": run.stack,
        "project": run.project,
        "tier": run.config.get(f"{run.project}:tier"),
        "region": run.config.get(f"{run.project}:region"),
        "error": run.error,
        "counts": {
            "resources": len(run.resources),
            "custom": len(custom),
            "multiLanguageComponents": sum(1 for r in custom if not r.custom),
            "components": len(components),
            "providers": sum(1 for r in custom if r.type.startswith("pulumi:providers:")),
            "byType": dict(sorted(Counter(r.type for r in custom).items())),
        },
        "components": [
            {
                "type": components[urn].type if urn in components else STACK_GROUP,
                "name": components[urn].name if urn in components else run.stack,
                "resources": members,
            }
            for urn, members in groups.items()
        ],
        "outputs": redact(run.outputs),
        # Sorted: the program warns from apply() callbacks too, whose order varies from run to run; a plan (and the
        # PR diff of two plans) must not.
        "warnings": sorted(run.warnings),
    }


def _format(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, (list, dict)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def render_summary(plan: dict[str, Any], cost: CostReport) -> list[str]:
    """What a person reads first: counts, resources and cost per component, capacity, cost against the
    budget and the program's warnings."""
    counts = plan["counts"]
    lines = [
        f"Offline plan of stack '{plan['stack']}' (project {plan['project']}): tier {plan['tier']}, "
        f"region {plan['region']}",
        f"{counts['resources']} resources: {counts['custom'] - counts['providers']} cloud and Kubernetes resources "
        f"(of which {counts['multiLanguageComponents']} multi-language components), {counts['components']} "
        f"components, {counts['providers']} provider(s)",
        "",
        f"Per component (resources; monthly USD at {cost.price_region} list prices, baseline and peak; "
        "python -m pricing.report for the detail):",
    ]
    if cost.price_flag:
        lines.append(f"  PRICE FLAG: {cost.price_flag}")
    priced = cost.by_component()
    sizes: Counter[str] = Counter()
    for component in plan["components"]:
        sizes[component_label(component, plan["stack"])] += len(component["resources"])
    width = max(len(label) for label in [*sizes, *priced, "total"])
    for label in sorted(set(sizes) | set(priced)):
        baseline, peak = priced.get(label, (0.0, 0.0))
        lines.append(f"  {label:<{width}}  {sizes.get(label, 0):>4}  baseline {baseline:>9.2f}  peak {peak:>9.2f}")
    lines.append(
        f"  {'total':<{width}}  {sum(sizes.values()):>4}  baseline {cost.baseline:>9.2f}  peak {cost.peak:>9.2f}"
    )
    verdict = cost.verdict
    if verdict is not None:
        lines.append(f"  {verdict.line()}")
    capacity = plan["outputs"].get("capacity")
    if capacity:
        lines += ["", "Capacity of the per-zone node groups (workload requests at HPA bounds, system pods included):"]
        lines += [
            f"  at {scale} scale: needs {fit['nodesNeeded']} of {fit['nodesAvailable']} nodes "
            f"({fit['boundBy']}-bound), headroom {fit['nodesAvailable'] - fit['nodesNeeded']} node(s)"
            for scale, fit in capacity.items()
        ]
    lines += ["", "Warnings:" if plan["warnings"] else "Warnings: none"]
    lines += [f"  - {warning}" for warning in plan["warnings"]]
    return lines


def render_resources(plan: dict[str, Any]) -> list[str]:
    """The detail behind the summary: each resource by component and type with its key settings, then the
    stack outputs."""
    lines: list[str] = []
    for component in plan["components"]:
        lines += ["", f"{component['type']} {component['name']} ({len(component['resources'])} resources)"]
        by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for resource in component["resources"]:
            by_type[resource["type"]].append(resource)
        for type_token, members in sorted(by_type.items()):
            lines.append(f"  {type_token} x{len(members)}")
            width = max(len(member["name"]) for member in members)
            for member in members:
                settings = "  ".join(f"{key}={_format(value)}" for key, value in member["settings"].items())
                protect = "  [protected]" if member["protect"] else ""
                lines.append(f"    {member['name']:<{width}}  {settings}{protect}".rstrip())
    if plan["outputs"]:
        lines += ["", "Outputs:"]
        lines += [f"  {key} = {_format(value)}" for key, value in sorted(plan["outputs"].items())]
    return lines


def render_text(plan: dict[str, Any], cost: CostReport | None = None, resources: bool = False) -> str:
    """The plan as text for a person: the summary (render_summary), then with `resources` every resource
    and the outputs (render_resources); default False. `cost`: its priced plan, priced here when not given."""
    lines = render_summary(plan, cost or price_plan(plan))
    if resources:
        lines += render_resources(plan)
    else:
        lines += ["", "Each resource with its key settings, and the stack outputs: add --resources."]
    return "\n".join(lines)


def cost_summary(cost: CostReport) -> dict[str, Any]:
    """The plan's cost as JSON-ready data, its budget judged by pricing.model.budget_verdict (as everywhere)."""
    verdict = cost.verdict
    return {"baseline": cost.baseline, "peak": cost.peak, "budget": cost.budget, "overBudget": cost.over_budget,
            "verdict": verdict.document() if verdict else None, "components": cost.by_component()}  # fmt: skip


def parse_overrides(pairs: list[str], project: str) -> dict[str, Any]:
    """`KEY=VALUE` pairs as namespaced config overrides, as `pulumi config set KEY VALUE` would set them."""
    overrides: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        namespace, colon, name = key.rpartition(":")
        if not sep or not name.strip() or (colon and not namespace):
            raise CommandError(f"--config takes KEY=VALUE with a key such as 'nodeMax' or '{project}:nodeMax', "
                               f"got {pair!r}")  # fmt: skip
        overrides[key if colon else f"{project}:{key}"] = value
    return overrides


def prepare(stack: str, config_pairs: list[str]) -> tuple[dict[str, Any], PriceTable]:
    """What every command checks before it runs the program (seconds): the project and stack files, the
    --config overrides and the price table. Returns the overrides and the table."""
    check_stack_file(PROJECT_DIR, stack)
    overrides = parse_overrides(config_pairs, check_project(PROJECT_DIR))
    return overrides, load_prices()


def plan_stack(stack: str, overrides: dict[str, Any], table: PriceTable) -> tuple[dict[str, Any], CostReport]:
    """Run the program offline and price its plan; a configuration error is a CommandError (exit 2)."""
    run_result = run_stack(stack, overrides)
    if run_result.error:
        raise CommandError(run_result.error)
    plan = summarize(run_result)
    return plan, price_plan(plan, table)


def _main(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m offline.plan",
        description="Run the Pulumi program for a stack under the SDK's mock engine (no cloud account, "
        "no Pulumi CLI) and print the resources it would create.",
        epilog=exit_status_help(
            errors="bad argument or config value, broken stack file or price table, unwritable --json path"
        ),
    )
    parser.add_argument("stack", choices=known_stacks(), help="stack to plan (a Pulumi.<stack>.yaml file)")
    parser.add_argument("--json", metavar="PATH", help="also write the plan as JSON to PATH ('-' for stdout only)")
    parser.add_argument(
        "--config", metavar="KEY=VALUE", action="append", default=[],
        help="override a config value for this plan, as `pulumi config set KEY VALUE` would (repeatable)",
    )  # fmt: skip
    parser.add_argument(
        "--resources", action="store_true",
        help="after the summary, list every resource with its key settings and the stack outputs",
    )  # fmt: skip
    args = parser.parse_args(argv)
    target = output_path(args.json, "--json") if args.json is not None and args.json != "-" else None
    started = time.perf_counter()
    plan, cost = plan_stack(args.stack, *prepare(args.stack, args.config))
    plan["cost"] = cost_summary(cost)
    plan["seconds"] = round(time.perf_counter() - started, 3)
    if args.json == "-":
        print(json.dumps(plan, indent=2, sort_keys=True))
        return 0
    print(render_text(plan, cost, resources=args.resources))
    print(f"\nPlanned offline in {plan['seconds']:.2f} s.")
    if target is not None:
        write_output(target, json.dumps(plan, indent=2, sort_keys=True), "--json")
        print(f"JSON plan written to {args.json}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of `python -m offline.plan` (exit status: see offline/cli.py)."""
    return run(_main, argv)


if __name__ == "__main__":
    sys.exit(main())
