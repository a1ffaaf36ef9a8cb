"""The workload charts rendered by a real helm with the exact values the program passes, in both
stacks, validated against the Kubernetes schemas (strict) of the cluster's version and of 1.33."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest

from offline.engine import PROJECT_DIR, OfflineRun
from stacks.builders import tls_values
from tests.charts import helm_run, render, workload_chart
from tests.conftest import offline_run

WORKLOADS = ("validator", "payments", "ledger")
SCHEMA_VERSIONS = ("1.35.0", "1.33.0")
TGB_SCHEMA = json.loads((PROJECT_DIR / "tests" / "schemas" / "targetgroupbinding-v1beta1.json").read_text())
CERTIFICATE_SCHEMA = json.loads((PROJECT_DIR / "tests" / "schemas" / "certificate-v1.json").read_text())
CRD_SCHEMAS = {"TargetGroupBinding": TGB_SCHEMA, "Certificate": CERTIFICATE_SCHEMA}
"""Custom resources, validated against their CRD's schema (kubernetes_validate knows only built-in kinds)."""
HPA_BOUNDS = {"dev": (1, 3), "prod": (3, 20)}
CASES = [(stack, workload) for stack in ("dev", "prod") for workload in WORKLOADS]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[tuple[str, str], dict[str, list[dict[str, Any]]]]:
    """Every chart of both stacks, rendered once: kind -> manifests."""
    result = {}
    for stack, workload in CASES:
        chart, namespace, values = workload_chart(offline_run(stack), workload)
        docs = render(chart, namespace, values, tmp_path_factory.mktemp(f"{stack}-{workload}"))
        by_kind: dict[str, list[dict[str, Any]]] = {}
        for doc in docs:
            by_kind.setdefault(doc["kind"], []).append(doc)
        result[(stack, workload)] = by_kind
    return result


@pytest.mark.parametrize(("stack", "workload"), CASES)
def test_helm_lint_strict_is_clean(stack: str, workload: str, tmp_path: Path) -> None:
    chart, _, values = workload_chart(offline_run(stack), workload)
    result = helm_run("lint", "--strict", str(chart), values=values, tmp=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 chart(s) failed" in result.stdout


@pytest.mark.parametrize(("stack", "workload"), CASES)
def test_every_manifest_validates_strictly(stack: str, workload: str, rendered: dict[Any, Any]) -> None:
    kinds = rendered[(stack, workload)]
    for kind, docs in kinds.items():
        for doc in docs:
            if kind in CRD_SCHEMAS:
                jsonschema.validate(doc, CRD_SCHEMAS[kind])
                continue
            for version in SCHEMA_VERSIONS:
                kubernetes_validate.validate(doc, version, strict=True)


@pytest.mark.parametrize(("stack", "workload"), CASES)
def test_each_chart_renders_the_full_workload(stack: str, workload: str, rendered: dict[Any, Any]) -> None:
    kinds = rendered[(stack, workload)]
    expected = {"Deployment", "Service", "ServiceAccount", "HorizontalPodAutoscaler", "PodDisruptionBudget",
                "NetworkPolicy", "ConfigMap", "Certificate"}  # fmt: skip
    assert set(kinds) == expected | ({"TargetGroupBinding"} if workload != "ledger" else set())


def _deployment(rendered: dict[Any, Any], stack: str, workload: str) -> dict[str, Any]:
    (deployment,) = rendered[(stack, workload)]["Deployment"]
    return dict(deployment)


@pytest.mark.parametrize(("stack", "workload"), CASES)
def test_pods_run_restricted(stack: str, workload: str, rendered: dict[Any, Any]) -> None:
    pod = _deployment(rendered, stack, workload)["spec"]["template"]["spec"]
    assert pod["securityContext"]["runAsNonRoot"] is True
    assert pod["securityContext"]["runAsUser"] >= 10000
    assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    assert pod["automountServiceAccountToken"] is False
    (container,) = pod["containers"]
    security = container["securityContext"]
    assert security["readOnlyRootFilesystem"] is True
    assert security["allowPrivilegeEscalation"] is False
    assert security["capabilities"] == {"drop": ["ALL"]}


@pytest.mark.parametrize(("stack", "workload"), CASES)
def test_image_is_pinned_from_its_own_repository(stack: str, workload: str, rendered: dict[Any, Any]) -> None:
    (container,) = _deployment(rendered, stack, workload)["spec"]["template"]["spec"]["containers"]
    run = offline_run(stack)
    repository = run.outputs["imageRepositories"][workload]
    tag = run.config[f"fintech-platform:{workload}ImageTag"]
    assert container["image"] == f"{repository}:{tag}"
    assert not container["image"].endswith(":latest")


@pytest.mark.parametrize(("stack", "workload"), CASES)
def test_probes_resources_rollout_and_drain(stack: str, workload: str, rendered: dict[Any, Any]) -> None:
    deployment = _deployment(rendered, stack, workload)
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    assert {"startupProbe", "readinessProbe", "livenessProbe"} <= set(container)
    assert container["readinessProbe"]["httpGet"]["path"] == "/healthz/ready"
    assert set(container["resources"]) == {"requests", "limits"}
    assert {"cpu", "memory"} == set(container["resources"]["requests"]) == set(container["resources"]["limits"])
    assert deployment["spec"]["strategy"]["rollingUpdate"]["maxUnavailable"] == 0
    assert container["lifecycle"]["preStop"]["sleep"]["seconds"] > 0
    assert deployment["spec"]["template"]["spec"]["terminationGracePeriodSeconds"] > 10


@pytest.mark.parametrize(("stack", "workload"), CASES)
def test_hpa_bounds_per_tier_with_behaviour(stack: str, workload: str, rendered: dict[Any, Any]) -> None:
    (hpa,) = rendered[(stack, workload)]["HorizontalPodAutoscaler"]
    assert hpa["apiVersion"] == "autoscaling/v2"
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == HPA_BOUNDS[stack]
    assert {m["resource"]["name"] for m in hpa["spec"]["metrics"]} == {"cpu", "memory"}
    assert hpa["spec"]["behavior"]["scaleDown"]["stabilizationWindowSeconds"] >= 60
    assert "stabilizationWindowSeconds" in hpa["spec"]["behavior"]["scaleUp"]


@pytest.mark.parametrize(("stack", "workload"), CASES)
def test_the_hpa_alone_owns_the_replica_count(stack: str, workload: str, rendered: dict[Any, Any]) -> None:
    """A Deployment that sets .spec.replicas under an HPA conflicts (server-side apply) with the HPA's scale
    after a scale-out, on the next update; the count starts at the HPA's minimum instead."""
    (hpa,) = rendered[(stack, workload)]["HorizontalPodAutoscaler"]
    deployment = _deployment(rendered, stack, workload)
    assert hpa["spec"]["scaleTargetRef"] == {"apiVersion": "apps/v1", "kind": "Deployment",
                                             "name": deployment["metadata"]["name"]}  # fmt: skip
    assert "replicas" not in deployment["spec"]


@pytest.mark.parametrize(("stack", "workload"), CASES)
def test_pdb_and_zone_spread(stack: str, workload: str, rendered: dict[Any, Any]) -> None:
    (pdb,) = rendered[(stack, workload)]["PodDisruptionBudget"]
    assert pdb["spec"]["maxUnavailable"] == 1
    constraints = _deployment(rendered, stack, workload)["spec"]["template"]["spec"]["topologySpreadConstraints"]
    zone = next(c for c in constraints if c["topologyKey"] == "topology.kubernetes.io/zone")
    assert zone["whenUnsatisfiable"] == ("DoNotSchedule" if stack == "prod" else "ScheduleAnyway")
    assert any(c["topologyKey"] == "kubernetes.io/hostname" for c in constraints)


@pytest.mark.parametrize(("stack", "workload"), CASES)
def test_network_policy_denies_by_default_and_allows_only_the_paths_needed(
    stack: str, workload: str, rendered: dict[Any, Any]
) -> None:
    policies = {p["metadata"]["name"]: p["spec"] for p in rendered[(stack, workload)]["NetworkPolicy"]}
    assert policies["default-deny"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    allow = policies[workload]
    # The metrics port admits the AMP collector's subnets (the private tier) only, and nothing else.
    (metrics,) = [rule for rule in allow["ingress"] if rule["ports"] == [{"protocol": "TCP", "port": 9464}]]
    private = offline_run(stack).outputs["privateSubnetIds"]
    assert len(metrics["from"]) == len(private) and all(
        set(peer) == {"ipBlock"} and peer["ipBlock"]["cidr"] != "0.0.0.0/0" for peer in metrics["from"]
    )
    sources = [peer for rule in allow["ingress"] if rule is not metrics for peer in rule["from"]]
    if workload == "ledger":
        assert sources == [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "payments"}}}]
    else:
        assert all("ipBlock" in peer for peer in sources) and sources
    ports = sorted({port["port"] for rule in allow["egress"] for port in rule["ports"]})
    expected = {"validator": [53, 443, 4316, 6379, 9098], "payments": [53, 443, 4316, 5432, 6379, 8443, 9098],
                "ledger": [53, 443, 4316, 5432, 9098]}[workload]  # fmt: skip
    assert ports == expected
    api = next(rule for rule in allow["egress"] if rule["ports"] == [{"protocol": "TCP", "port": 443}])
    blocks = [peer["ipBlock"] for peer in api["to"]]
    if stack == "prod":
        assert blocks == [{"cidr": "10.40.0.0/16"}]
    else:
        assert blocks == [{"cidr": "0.0.0.0/0", "except": ["169.254.169.254/32"]}]


@pytest.mark.parametrize(("stack", "workload"), CASES)
def test_metrics_endpoint_and_opentelemetry_environment(stack: str, workload: str, rendered: dict[Any, Any]) -> None:
    """The collector finds the pod by its annotations; traces go to the CloudWatch agent at the tier's ratio."""
    template = _deployment(rendered, stack, workload)["spec"]["template"]
    annotations = template["metadata"]["annotations"]
    assert {k: annotations[k] for k in annotations if k.startswith("prometheus.io/")} == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": "9464",
        "prometheus.io/path": "/metrics",
    }
    (container,) = template["spec"]["containers"]
    assert {"name": "metrics", "containerPort": 9464, "protocol": "TCP"} in container["ports"]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["OTEL_SERVICE_NAME"] == workload
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == "http://cloudwatch-agent.amazon-cloudwatch:4316"
    assert env["OTEL_TRACES_SAMPLER"] == "parentbased_traceidratio"
    assert float(env["OTEL_TRACES_SAMPLER_ARG"]) == {"dev": 1.0, "prod": 0.1}[stack]
    assert f"deployment.environment.name={stack}" in env["OTEL_RESOURCE_ATTRIBUTES"]
    assert env["OTEL_EXPORTER_PROMETHEUS_PORT"] == "9464"


@pytest.mark.parametrize(("stack", "workload"), CASES)
def test_public_workloads_bind_to_their_target_group(stack: str, workload: str, rendered: dict[Any, Any]) -> None:
    bindings = rendered[(stack, workload)].get("TargetGroupBinding", [])
    if workload == "ledger":
        assert bindings == []
        return
    (binding,) = bindings
    assert binding["spec"]["targetGroupARN"] == offline_run(stack).outputs["targetGroupArns"][workload]
    assert binding["spec"]["targetType"] == "ip"
    assert binding["spec"]["serviceRef"] == {"name": workload, "port": 8443}


@pytest.mark.parametrize(("stack", "workload"), CASES)
def test_service_account_carries_its_role_and_the_config_no_secret(
    stack: str, workload: str, rendered: dict[Any, Any]
) -> None:
    run = offline_run(stack)
    (account,) = rendered[(stack, workload)]["ServiceAccount"]
    assert account["metadata"]["annotations"]["eks.amazonaws.com/role-arn"] == run.outputs["workloadRoleArns"][workload]
    (config,) = rendered[(stack, workload)]["ConfigMap"]
    assert not [key for key in config["data"] if key.endswith(("PASSWORD", "TOKEN", "SECRET_ARN"))]
    if workload == "ledger":
        assert not [key for key in config["data"] if key.startswith("REDIS_")]
        return
    # The cache takes an IAM token the pod signs as its own user: no secret to hand over.
    assert config["data"]["REDIS_AUTH"] == "iam"
    assert config["data"]["REDIS_USER"] == f"fintech-{stack}-{workload}"
    assert config["data"]["REDIS_KEY_PREFIX"] == f"{workload}:"
    assert config["data"]["REDIS_CACHE_NAME"] == f"fintech-{stack}"  # the replication group ID the token names


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"replicas": {"min": 5, "max": 2}}, "replicas.min (5) is above replicas.max (2)"),
        ({"image": {"repository": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x", "tag": "", "digest": ""}},
         "image.tag or image.digest is required"),
        ({"image": {"repository": "123456789012.dkr.ecr.us-east-1.amazonaws.com/x", "tag": "latest"}},
         "at '/image/tag': 'not' failed"),
        ({"config": {"DB_PASSWORD": "x"}}, "invalid propertyName 'DB_PASSWORD'"),
        ({"tls": tls_values("platform-ca", "platform-ca-bundle") | {"durationHours": 720}},
         "tls.renewBeforeHours (720) must be below tls.durationHours (720)"),
        ({"tls": tls_values("platform-ca", "platform-ca-bundle") | {"mountPath": "/tmp"}}, "at '/tls/mountPath'"),
        ({"tls": tls_values("platform-ca", "platform-ca-bundle") | {"trustMountPath": "/etc/tls"}},
         "tls.trustMountPath (/etc/tls) must differ from tls.mountPath"),
    ],
)  # fmt: skip
def test_bad_values_fail_at_render_time(
    changes: dict[str, Any], message: str, dev_run: OfflineRun, tmp_path: Path
) -> None:
    chart, namespace, values = workload_chart(dev_run, "validator")
    result = helm_run("template", "v", str(chart), "--namespace", namespace, values={**values, **changes}, tmp=tmp_path)
    assert result.returncode != 0
    assert message in result.stderr


def _https_port(container: dict[str, Any]) -> dict[str, Any]:
    """The serving port; the only other port is the metrics endpoint."""
    (port,) = [p for p in container["ports"] if p["name"] != "metrics"]
    return dict(port)


@pytest.mark.parametrize(("stack", "workload"), CASES)
def test_pods_serve_https_with_a_certificate_of_the_platform_ca(
    stack: str, workload: str, rendered: dict[Any, Any]
) -> None:
    kinds = rendered[(stack, workload)]
    (certificate,) = kinds["Certificate"]
    spec = certificate["spec"]
    assert spec["issuerRef"] == {"name": "platform-ca", "kind": "ClusterIssuer", "group": "cert-manager.io"}
    assert f"{workload}.{workload}.svc.cluster.local" in spec["dnsNames"]
    assert spec["privateKey"]["rotationPolicy"] == "Always" and spec["usages"] == ["server auth", "digital signature"]
    pod = _deployment(rendered, stack, workload)["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    assert _https_port(container) == {"name": "https", "containerPort": 8443, "protocol": "TCP"}
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert (container[probe]["httpGet"]["scheme"], container[probe]["httpGet"]["port"]) == ("HTTPS", "https")
    (volume,) = [v for v in pod["volumes"] if "secret" in v]
    assert volume["secret"]["secretName"] == spec["secretName"]
    (mount,) = [m for m in container["volumeMounts"] if m["name"] == volume["name"]]
    assert mount["readOnly"] is True
    assert volume["secret"]["items"] == [{"key": "tls.crt", "path": "tls.crt"}, {"key": "tls.key", "path": "tls.key"}]
    (trust,) = [v for v in pod["volumes"] if "configMap" in v]
    assert trust["configMap"]["name"] == "platform-ca-bundle"  # the trust-manager Bundle's target ConfigMap
    (trust_mount,) = [m for m in container["volumeMounts"] if m["name"] == trust["name"]]
    env = {e["name"]: e["value"] for e in container["env"] if e["name"].startswith("TLS_")}
    assert env == {"TLS_CERT_FILE": f"{mount['mountPath']}/tls.crt", "TLS_KEY_FILE": f"{mount['mountPath']}/tls.key",
                   "TLS_CA_FILE": f"{trust_mount['mountPath']}/ca.crt", "TLS_PORT": "8443"}  # fmt: skip
    (service,) = kinds["Service"]
    assert service["spec"]["ports"] == [
        {"name": "https", "port": 8443, "targetPort": "https", "protocol": "TCP", "appProtocol": "https"}
    ]
    (allow,) = [p for p in kinds["NetworkPolicy"] if p["metadata"]["name"] == workload]
    # Besides HTTPS only the metrics port: plain HTTP in the VPC from the collector's subnets (docs/observability.md).
    assert {port["port"] for rule in allow["spec"]["ingress"] for port in rule["ports"]} == {8443, 9464}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_callers_use_https_to_a_name_the_callee_certificate_holds(stack: str, rendered: dict[Any, Any]) -> None:
    (config,) = rendered[(stack, "payments")]["ConfigMap"]
    url = config["data"]["LEDGER_URL"]
    assert url == "https://ledger.ledger.svc.cluster.local:8443"
    (certificate,) = rendered[(stack, "ledger")]["Certificate"]
    assert url.removeprefix("https://").split(":")[0] in certificate["spec"]["dnsNames"]
    assert not [value for value in config["data"].values() if str(value).startswith("http://")]


def test_the_certificate_schema_refuses_unknown_and_mistyped_fields(rendered: dict[Any, Any]) -> None:
    (certificate,) = rendered[("prod", "ledger")]["Certificate"]
    jsonschema.validate(certificate, CERTIFICATE_SCHEMA)
    for broken in ({**certificate["spec"], "dnsName": ["x"]}, {**certificate["spec"], "isCA": "yes"}):
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate({**certificate, "spec": broken}, CERTIFICATE_SCHEMA)


@pytest.mark.parametrize(("stack", "workload"), CASES)
def test_the_deployment_is_created_after_what_its_first_pods_need(
    stack: str, workload: str, rendered: dict[Any, Any]
) -> None:
    """Readiness gates are injected only into pods created after their TargetGroupBinding, so helm.v4.Chart must
    create the Service and the binding (and the issued certificate) before the Deployment: its depends-on names
    exactly those objects of the same release, in the Chart v4 reference format."""
    kinds = rendered[(stack, workload)]
    deployment = _deployment(rendered, stack, workload)
    refs = deployment["metadata"]["annotations"]["config.kubernetes.io/depends-on"].split(",")
    expected = {f"cert-manager.io/namespaces/{workload}/Certificate/{kinds['Certificate'][0]['metadata']['name']}"}
    if "TargetGroupBinding" in kinds:
        (binding,) = kinds["TargetGroupBinding"]
        (service,) = kinds["Service"]
        expected |= {f"elbv2.k8s.aws/namespaces/{workload}/TargetGroupBinding/{binding['metadata']['name']}",
                     f"/namespaces/{workload}/Service/{service['metadata']['name']}"}  # fmt: skip
        assert binding["spec"]["serviceRef"]["name"] == service["metadata"]["name"]
    assert set(refs) == expected and len(refs) == len(expected)
    (certificate,) = kinds["Certificate"]
    assert certificate["metadata"]["annotations"]["pulumi.com/waitFor"] == (
        'jsonpath={.status.conditions[?(@.type=="Ready")].status}=True'
    )
