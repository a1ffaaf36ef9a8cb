"""A CA rotation, played against what the program registers and what the workload charts render (issue 20.3).

The caller (payments) trusts the file its rendered Deployment names in TLS_CA_FILE; the test follows that path
to its volume, checks it is the ConfigMap the program's trust-manager Bundle writes, builds that ConfigMap the way
trust-manager does (the `tls.crt` of every Secret the Bundle's selector matches, concatenated) and verifies the
callee's (ledger) serving certificate against it with a real X.509 path validation (cryptography's verifier),
at the moments of a rotation when the two workloads hold leaves of different CA generations.

Not exercised here: trust-manager itself and the kubelet's ConfigMap refresh (up to the kubelet sync period plus
the ConfigMap cache TTL, about a minute; Kubernetes docs "ConfigMaps: Mounted ConfigMaps are updated
automatically"). The application must re-read TLS_CA_FILE on change, which is the workload TLS contract.
"""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from components.cert_manager import NAMESPACE, TRUST_BUNDLE_KEY
from offline.engine import OfflineRun
from tests.charts import render, workload_chart
from tests.conftest import offline_run
from tests.helpers import one

NOW = datetime.datetime(2027, 1, 1, tzinfo=datetime.UTC)
CALLEE = "ledger.ledger.svc.cluster.local"


@pytest.fixture(scope="module")
def prod() -> OfflineRun:
    return offline_run("prod")


@pytest.fixture(scope="module")
def caller_trust_file(prod: OfflineRun, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """(ConfigMap name, key) behind the caller's TLS_CA_FILE, read from its rendered Deployment."""
    chart, namespace, values = workload_chart(prod, "payments")
    docs = render(chart, namespace, values, tmp_path_factory.mktemp("payments"))
    (deployment,) = [d for d in docs if d["kind"] == "Deployment"]
    pod = deployment["spec"]["template"]["spec"]
    (container,) = pod["containers"]
    ca_file = Path(next(e["value"] for e in container["env"] if e["name"] == "TLS_CA_FILE"))
    (mount,) = [m for m in container["volumeMounts"] if Path(m["mountPath"]) == ca_file.parent]
    (volume,) = [v for v in pod["volumes"] if v["name"] == mount["name"]]
    assert "configMap" in volume, f"TLS_CA_FILE {ca_file} is not read from the trust bundle: {volume}"
    (item,) = [i for i in volume["configMap"]["items"] if i["path"] == ca_file.name]
    return volume["configMap"]["name"], item["key"]


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _ca(common_name: str, key: ec.EllipticCurvePrivateKey, serial: int) -> x509.Certificate:
    """A self-signed CA certificate the way cert-manager's selfSigned issuer makes one (SKI from the key)."""
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    return (
        x509.CertificateBuilder().subject_name(_name(common_name)).issuer_name(_name(common_name))
        .public_key(key.public_key()).serial_number(serial)
        .not_valid_before(NOW - datetime.timedelta(days=400)).not_valid_after(NOW + datetime.timedelta(days=1000))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, True, True, False, False), critical=True)
        .add_extension(ski, critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
        .sign(key, hashes.SHA384())
    )  # fmt: skip


def _leaf(ca: x509.Certificate, ca_key: ec.EllipticCurvePrivateKey, serial: int) -> x509.Certificate:
    key = ec.generate_private_key(ec.SECP256R1())
    return (
        x509.CertificateBuilder().subject_name(_name(CALLEE)).issuer_name(ca.subject)
        .public_key(key.public_key()).serial_number(serial)
        .not_valid_before(NOW - datetime.timedelta(days=30)).not_valid_after(NOW + datetime.timedelta(days=60))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(CALLEE)]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
        .sign(ca_key, hashes.SHA256())
    )  # fmt: skip


def _trusts(bundle_pem: bytes, leaf: x509.Certificate) -> bool:
    """What a TLS client that trusts `bundle_pem` concludes about the callee's certificate."""
    verifier = (
        PolicyBuilder().store(Store(x509.load_pem_x509_certificates(bundle_pem))).time(NOW)
        .build_server_verifier(x509.DNSName(CALLEE))
    )  # fmt: skip
    try:
        verifier.verify(leaf, [])
    except VerificationError:
        return False
    return True


class Cluster:
    """The trust namespace's Secrets, and the Bundle as trust-manager resolves it (spec from the program)."""

    def __init__(self, bundle_spec: dict[str, Any]) -> None:
        self.spec = bundle_spec
        self.secrets: dict[str, tuple[dict[str, str], x509.Certificate]] = {}

    def bundle(self) -> bytes:
        """The target ConfigMap's data: the tls.crt of every Secret a source selects, concatenated."""
        pem = b""
        for source in self.spec["sources"]:
            wanted = source["secret"]["selector"]["matchLabels"]
            assert source["secret"]["key"] == "tls.crt"
            for name in sorted(self.secrets):
                labels, cert = self.secrets[name]
                if all(labels.get(k) == v for k, v in wanted.items()):
                    pem += cert.public_bytes(Encoding.PEM)
        return pem


@pytest.fixture(scope="module")
def program(prod: OfflineRun, caller_trust_file: tuple[str, str]) -> dict[str, Any]:
    """The CA Certificate and the Bundle the program registers, checked to feed the caller's trust file."""
    ca = one(prod, "kubernetes:cert-manager.io/v1:Certificate", "-cert-manager-ca")
    bundle = one(prod, "kubernetes:trust.cert-manager.io/v1alpha1:Bundle", "-cert-manager-bundle")
    config_map, key = caller_trust_file
    assert (bundle.inputs["metadata"]["name"], bundle.inputs["spec"]["target"]["configMap"]["key"]) == (
        config_map,
        key,
    ) and key == TRUST_BUNDLE_KEY
    ca_labels = ca.inputs["spec"]["secretTemplate"]["labels"]
    (source,) = bundle.inputs["spec"]["sources"]
    assert source["secret"]["selector"]["matchLabels"].items() <= ca_labels.items()
    assert ca.inputs["metadata"]["namespace"] == NAMESPACE
    return {"ca": ca.inputs["spec"], "bundle": bundle.inputs["spec"], "ca_labels": ca_labels}


def test_a_scheduled_ca_renewal_keeps_old_and_new_leaves_trusted(program: dict[str, Any]) -> None:
    """cert-manager renews the CA before expiry with the program's rotation policy; the callee still holds a leaf
    of the old CA certificate while the caller already reads the renewed bundle."""
    cluster = Cluster(program["bundle"])
    ca_secret = program["ca"]["secretName"]
    key = ec.generate_private_key(ec.SECP384R1())
    old_ca = _ca(program["ca"]["commonName"], key, 1)
    cluster.secrets[ca_secret] = (program["ca_labels"], old_ca)
    old_leaf = _leaf(old_ca, key, 10)
    assert _trusts(cluster.bundle(), old_leaf)

    renewed_key = (
        key if program["ca"]["privateKey"]["rotationPolicy"] == "Never" else ec.generate_private_key(ec.SECP384R1())
    )
    renewed_ca = _ca(program["ca"]["commonName"], renewed_key, 2)
    cluster.secrets[ca_secret] = (program["ca_labels"], renewed_ca)
    new_leaf = _leaf(renewed_ca, renewed_key, 11)
    assert _trusts(cluster.bundle(), new_leaf)
    assert _trusts(cluster.bundle(), old_leaf), "a leaf issued before the CA renewal is rejected by the bundle"
    # The design the finding describes: a pod trusting its own Secret's ca.crt after a re-keying renewal rejects a
    # peer still on the old CA. This is what the test catches if the CA went back to rotationPolicy Always.
    rekeyed = ec.generate_private_key(ec.SECP384R1())
    assert not _trusts(_ca(program["ca"]["commonName"], rekeyed, 3).public_bytes(Encoding.PEM), old_leaf)


def test_a_deliberate_rekey_with_the_previous_ca_in_the_bundle_keeps_both_generations(
    program: dict[str, Any],
) -> None:
    """The re-key procedure of docs/day2.md: copy the current CA certificate (no key) into a Secret with the bundle
    label, re-key the CA, re-issue the leaves, then delete the copy."""
    cluster = Cluster(program["bundle"])
    ca_secret = program["ca"]["secretName"]
    old_key = ec.generate_private_key(ec.SECP384R1())
    old_ca = _ca(program["ca"]["commonName"], old_key, 1)
    cluster.secrets[ca_secret] = (program["ca_labels"], old_ca)
    old_leaf = _leaf(old_ca, old_key, 10)

    cluster.secrets[f"{ca_secret}-previous"] = (program["ca_labels"], old_ca)  # step 1: keep the old CA trusted
    new_key = ec.generate_private_key(ec.SECP384R1())
    new_ca = _ca(program["ca"]["commonName"], new_key, 2)
    cluster.secrets[ca_secret] = (program["ca_labels"], new_ca)  # step 2: re-key
    new_leaf = _leaf(new_ca, new_key, 11)
    assert _trusts(cluster.bundle(), old_leaf) and _trusts(cluster.bundle(), new_leaf)

    del cluster.secrets[f"{ca_secret}-previous"]  # step 4, after every leaf is re-issued
    assert _trusts(cluster.bundle(), new_leaf)
    assert not _trusts(cluster.bundle(), old_leaf)  # why the copy must stay until then
