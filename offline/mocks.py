"""Mocks for the Pulumi SDK: resources echo their inputs plus the attributes AWS would compute;
look-ups answer from offline/aws_facts.py. Any look-up it does not know fails loudly."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pulumi

from offline.aws_facts import ALB_HOSTED_ZONE_IDS, OFFLINE_ACCOUNT_ID, REGION_ZONE_IDS, partition_of, zone_names

DEFAULT_REGION = "us-east-1"


class UnmockedInvokeError(RuntimeError):
    """The program called a look-up the offline engine cannot answer."""


class UnknownRegionError(UnmockedInvokeError, pulumi.RunError):
    """A region the offline snapshot has no zones for: a limit of the offline engine, reported as a config
    message (fintech-platform:region) and exit 2, not a traceback."""


def _short_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:17]


def _computed(type_token: str, resource_id: str, region: str, account: str, inputs: dict[str, Any]) -> dict[str, Any]:
    """Attributes AWS computes on creation that the program reads back (endpoints, generated secrets)."""
    partition = partition_of(region)
    if type_token == "aws:rds/cluster:Cluster":
        host = f"{resource_id}.cluster-offline.{region}.rds.amazonaws.com"
        secret = f"arn:{partition}:secretsmanager:{region}:{account}:secret:rds!cluster-{resource_id}"
        managed = bool(inputs.get("manageMasterUserPassword"))
        return {
            "endpoint": host,
            "readerEndpoint": host.replace(".cluster-", ".cluster-ro-"),
            # RDS creates a master secret only when it manages the password (not for a global database member).
            "masterUserSecrets": [{"secretArn": secret, "secretStatus": "active"}] if managed else [],
            "clusterResourceId": f"cluster-{_short_hash(resource_id).upper()}",
        }
    if type_token == "aws:elasticache/replicationGroup:ReplicationGroup":
        host = f"master.{resource_id}.offline.use1.cache.amazonaws.com"
        return {"primaryEndpointAddress": host, "readerEndpointAddress": host.replace("master.", "replica.")}
    if type_token == "aws:msk/cluster:Cluster":
        count = int(inputs.get("numberOfBrokerNodes", 3))
        name = inputs.get("clusterName", resource_id)
        digest = hashlib.sha256(resource_id.encode()).hexdigest()
        uuid = f"{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}-1"
        brokers = ",".join(
            f"b-{n}.{resource_id}.offline.kafka.{region}.amazonaws.com:9098" for n in range(1, count + 1)
        )
        return {
            "bootstrapBrokersSaslIam": brokers,
            "arn": f"arn:{partition}:kafka:{region}:{account}:cluster/{name}/{uuid}",
        }
    if type_token == "aws:msk/topic:Topic":
        cluster = str(inputs.get("clusterArn", ""))
        return {"arn": cluster.replace(":cluster/", ":topic/", 1) + f"/{inputs.get('name', resource_id)}"}
    if type_token == "aws:msk/configuration:Configuration":
        return {"latestRevision": 1}
    if type_token == "aws:amp/workspace:Workspace":
        # AMP assigns the workspace ID (ws-<uuid>); the ARN and endpoint follow from it (DescribeWorkspace).
        workspace_id = resource_id
        return {
            "arn": f"arn:{partition}:aps:{region}:{account}:workspace/{workspace_id}",
            "prometheusEndpoint": f"https://aps-workspaces.{region}.amazonaws.com/workspaces/{workspace_id}/",
        }
    if type_token == "aws:grafana/workspace:Workspace":
        # AMG assigns g-<10 hex> and serves the workspace at <id>.grafana-workspace.<region>.amazonaws.com.
        grafana_id = f"g-{hashlib.sha256(resource_id.encode()).hexdigest()[:10]}"
        return {"endpoint": f"{grafana_id}.grafana-workspace.{region}.amazonaws.com"}
    if type_token == "aws:grafana/workspaceServiceAccount:WorkspaceServiceAccount":
        # Grafana numbers service accounts within the workspace (CreateWorkspaceServiceAccount id).
        return {"serviceAccountId": str(int(_short_hash(resource_id), 16) % 1000 + 2)}
    if type_token == "aws:grafana/workspaceServiceAccountToken:WorkspaceServiceAccountToken":
        # The key is returned once (glsa_ prefix, Grafana service-account token format); the provider marks it secret.
        digest = _short_hash(resource_id)
        return {"key": f"glsa_offline_{digest}", "serviceAccountTokenId": digest[:6]}
    if type_token == "aws:amp/scraper:Scraper":
        # The scraper's service-linked role, named after the scraper (DescribeScraper roleArn).
        digest = hashlib.sha256(resource_id.encode()).hexdigest()
        return {
            "arn": f"arn:{partition}:aps:{region}:{account}:scraper/s-{digest[:8]}-{digest[8:12]}",
            "roleArn": f"arn:{partition}:iam::{account}:role/aws-service-role/scraper.aps.amazonaws.com/"
            f"AWSServiceRoleForAmazonPrometheusScraper_{digest[:8]}-{digest[8:12]}",
        }
    if type_token == "eks:index:Cluster":
        issuer = f"oidc.eks.{region}.amazonaws.com/id/{_short_hash(resource_id).upper()}"
        return {
            "kubeconfigJson": json.dumps({"apiVersion": "v1", "kind": "Config", "clusters": [], "users": []}),
            "oidcIssuer": issuer,
            "oidcProviderUrl": f"https://{issuer}",
            "oidcProviderArn": f"arn:{partition}:iam::{account}:oidc-provider/{issuer}",
            "clusterSecurityGroupId": f"sg-{_short_hash(resource_id + 'cluster')}",
        }
    elb = f"arn:{partition}:elasticloadbalancing:{region}:{account}"
    if type_token == "aws:lb/loadBalancer:LoadBalancer":
        suffix = f"app/{resource_id}/{_short_hash(resource_id)[:16]}"
        return {"arnSuffix": suffix, "arn": f"{elb}:loadbalancer/{suffix}",
                "dnsName": f"{resource_id}.{region}.elb.amazonaws.com",
                **({"zoneId": ALB_HOSTED_ZONE_IDS[region]} if region in ALB_HOSTED_ZONE_IDS else {})}  # fmt: skip
    if type_token == "aws:lb/targetGroup:TargetGroup":
        suffix = f"targetgroup/{resource_id}/{_short_hash(resource_id)[:16]}"
        return {"arnSuffix": suffix, "arn": f"{elb}:{suffix}"}
    if type_token == "aws:lb/listener:Listener":
        return {"arn": f"{elb}:listener/app/{resource_id}/{_short_hash(resource_id)[:16]}"}
    if type_token == "aws:route53/record:Record":
        return {"fqdn": str(inputs.get("name", resource_id)).rstrip(".")}
    if type_token == "aws:ecr/replicationConfiguration:ReplicationConfiguration":
        return {"registryId": account}
    if type_token == "aws:ecr/repository:Repository":
        return {"repositoryUrl": f"{account}.dkr.ecr.{region}.amazonaws.com/{inputs.get('name', resource_id)}"}
    if type_token == "aws:arcregionswitch/plan:Plan":
        # A plan's ARN has no region: arn:aws:arc-region-switch::<account>:plan/<name>:<6 characters>.
        suffix = _short_hash(resource_id)[:6]
        return {"arn": f"arn:{partition}:arc-region-switch::{account}:plan/{inputs.get('name', resource_id)}:{suffix}"}
    if type_token == "aws:lambda/function:Function":
        return {"arn": f"arn:{partition}:lambda:{region}:{account}:function:{inputs.get('name', resource_id)}"}
    if type_token == "aws:serverlessrepository/cloudFormationStack:CloudFormationStack":
        # The Secrets Manager rotation applications output the function's ARN as RotationLambdaARN (aws-cdk-lib
        # SecretRotation reads `Outputs.RotationLambdaARN`); the function is named by the functionName parameter.
        function = (inputs.get("parameters") or {}).get("functionName", resource_id)
        return {"outputs": {"RotationLambdaARN": f"arn:{partition}:lambda:{region}:{account}:function:{function}"}}
    if type_token == "aws:s3/bucket:Bucket":
        return {"bucket": resource_id, "arn": f"arn:{partition}:s3:::{resource_id}"}
    if type_token == "aws:ec2/launchTemplate:LaunchTemplate":
        return {"latestVersion": 1}
    if type_token == "random:index/randomPassword:RandomPassword":
        return {"result": f"offline-{_short_hash(resource_id)}"}
    if type_token == "random:index/randomId:RandomId":
        return {"hex": _short_hash(resource_id)[: 2 * int(inputs.get("byteLength", 4))]}
    if type_token in ("grafana:oss/folder:Folder", "grafana:oss/dashboard:Dashboard"):
        # Grafana answers with the uid (the folder's input, the dashboard's from its JSON) and the page URL.
        uid = inputs.get("uid") or json.loads(str(inputs.get("configJson", "{}"))).get("uid", resource_id)
        kind = "dashboards/f" if type_token.endswith("Folder") else "d"
        return {"uid": uid, "url": f"/{kind}/{uid}"}
    return {}


class OfflineMocks(pulumi.runtime.Mocks):
    """Deterministic answers: the same program and config always give the same ids and ARNs."""

    def __init__(self) -> None:
        self.providers: dict[str, dict[str, Any]] = {}
        self.plans: dict[str, dict[str, Any]] = {}
        """Region switch plans by ARN (ListRoute53HealthChecks answers from their inputs)."""

    def _provider_facts(self, provider_ref: str | None) -> tuple[str, str]:
        inputs = self.providers.get((provider_ref or "").rsplit("::", 1)[-1], {})
        region = inputs.get("region") or DEFAULT_REGION
        accounts = inputs.get("allowedAccountIds") or []
        if isinstance(accounts, str):
            accounts = json.loads(accounts)
        return region, (accounts[0] if accounts else OFFLINE_ACCOUNT_ID)

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict[Any, Any]]:
        state = dict(args.inputs)
        if args.typ.startswith("pulumi:providers:"):
            provider_id = f"{args.name}-provider-id"
            self.providers[provider_id] = state
            return provider_id, state
        resource_id = f"{args.name}-{_short_hash(args.typ + args.name)[:8]}"
        if args.typ == "aws:amp/workspace:Workspace":
            digest = hashlib.sha256(args.name.encode()).hexdigest()
            resource_id = f"ws-{digest[:8]}-{digest[8:12]}-{digest[12:16]}-{digest[16:20]}-{digest[20:32]}"
        if args.typ == "aws:rds/globalCluster:GlobalCluster":
            resource_id = str(args.inputs.get("globalClusterIdentifier", resource_id))  # AWS's id is the identifier
        region, account = self._provider_facts(args.provider)
        package, module_path, kind = [*args.typ.split(":"), "", ""][:3]
        service = module_path.split("/")[0]
        if package in ("random", "eks", "grafana"):
            state.update(_computed(args.typ, resource_id, region, account, args.inputs))
        if package == "aws":
            partition = partition_of(region)
            state.setdefault("arn", f"arn:{partition}:{service}:{region}:{account}:{kind.lower()}/{resource_id}")
            if args.typ == "aws:kms/key:Key":
                state["keyId"] = _short_hash(args.name)
                state["arn"] = f"arn:{partition}:kms:{region}:{account}:key/{state['keyId']}"
            if args.typ == "aws:cloudwatch/logGroup:LogGroup":
                state["arn"] = f"arn:{partition}:logs:{region}:{account}:log-group:{state.get('name', args.name)}"
            if args.typ == "aws:iam/role:Role":
                state["arn"] = f"arn:{partition}:iam::{account}:role/{state.get('name', resource_id)}"
            state.setdefault("name", resource_id)
            computed = _computed(args.typ, resource_id, region, account, args.inputs)
            state.update({key: value for key, value in computed.items() if key not in args.inputs})
            if args.typ == "aws:arcregionswitch/plan:Plan":
                self.plans[state["arn"]] = state
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[Any, Any]:  # type: ignore[override]
        region, account = self._provider_facts(args.provider)
        partition = partition_of(region)
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": account,
                "arn": f"arn:{partition}:iam::{account}:user/offline-plan",
                "userId": "AIDAOFFLINEPLAN",
                "id": account,
            }
        if args.token == "aws:arcregionswitch/getRoute53HealthChecks:getRoute53HealthChecks":
            return _region_switch_health_checks(self.plans, str(args.args.get("planArn", "")))
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            if region not in REGION_ZONE_IDS:
                raise UnknownRegionError(
                    f"fintech-platform:region = '{region}': the offline engine knows the zones of "
                    f"{', '.join(REGION_ZONE_IDS)} only (offline/aws_facts.py); plan another region offline, or "
                    "preview this one with `pulumi preview` against AWS"
                )
            return {
                "id": region,
                "names": zone_names(region),
                "zoneIds": list(REGION_ZONE_IDS[region]),
                "groupNames": [region] * len(REGION_ZONE_IDS[region]),
            }
        if args.token == "aws:ecr/getImage:getImage":
            return _ecr_image(args.args, region, account)
        raise UnmockedInvokeError(f"the offline engine cannot answer the look-up '{args.token}'")


def _ecr_image(query: dict[str, Any], region: str, account: str) -> dict[str, Any]:
    """The offline registry holds every image it is asked about (as after the images were pushed): the answer
    is built from the repository and the tag or digest in the query."""
    repository = query.get("repositoryName")
    tag, digest = query.get("imageTag"), query.get("imageDigest")
    if not repository or not (tag or digest):
        raise UnmockedInvokeError(f"aws:ecr/getImage needs a repository and a tag or digest; got {query}")
    digest = digest or "sha256:" + hashlib.sha256(f"{repository}:{tag}".encode()).hexdigest()
    registry = f"{account}.dkr.ecr.{region}.amazonaws.com"
    return {
        "id": digest,
        "registryId": account,
        "repositoryName": repository,
        "imageDigest": digest,
        "imageTag": tag or "",
        "imageTags": [tag] if tag else [],
        "imagePushedAt": 1_700_000_000,
        "imageSizeInBytes": 50_000_000,
        "imageUri": f"{registry}/{repository}@{digest}",
    }


def _region_switch_health_checks(plans: dict[str, dict[str, Any]], plan_arn: str) -> dict[str, Any]:
    """What ListRoute53HealthChecks answers for a plan: one health check per region of each Route53HealthCheck
    block (ARC creates them with the plan)."""
    if plan_arn not in plans:
        raise UnmockedInvokeError(f"aws:arcregionswitch/getRoute53HealthChecks: no plan {plan_arn!r} was registered")
    plan = plans[plan_arn]
    blocks = [config for workflow in plan.get("workflows", []) for step in workflow.get("steps", [])
              for config in step.get("route53HealthCheckConfigs", [])]  # fmt: skip
    checks = {(block["hostedZoneId"], block["recordName"], region) for block in blocks for region in plan["regions"]}
    return {
        "id": plan_arn,
        "planArn": plan_arn,
        "healthChecks": [
            {"healthCheckId": f"arc-{_short_hash(plan_arn + region)[:12]}", "hostedZoneId": zone, "recordName": name,
             "region": region, "status": "healthy"}
            for zone, name, region in sorted(checks)
        ],
    }  # fmt: skip
