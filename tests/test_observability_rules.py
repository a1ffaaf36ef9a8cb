"""The rule files: generated parts match their source, promtool accepts every file and every stack's objectives,
the unit tests with synthetic series prove each burn-rate and platform alert fires and clears, and every metric a
rule reads is one the scrape jobs yield or another rule records.

promtool runs twice for the whole module (one `check rules`, one `test rules`), in a module fixture."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from components import slo
from components.dashboards import DASHBOARD_DIR, dashboards, queries
from components.prometheus_config import SCRAPED_METRICS
from offline.engine import stack_config
from stacks.builders import RULES_DIR, rule_groups
from stacks.config import parse_stack_config
from stacks.config.observability import slo_targets

PROMTOOL_DIR = Path(__file__).parent / "promtool"
TEST_TARGETS = {"validator-availability": 0.999, "validator-latency": 0.99, "payments-availability": 0.999,
                "payments-latency": 0.99, "ledger-processing": 0.999}  # fmt: skip
"""The targets objectives.yaml (the promtool tests' objectives) is rendered with, for a 30-day period."""
PROMQL_WORDS = {
    "sum", "max", "min", "avg", "count", "rate", "deriv", "by", "on", "and", "or", "unless", "without", "ignoring",
    "group_left", "group_right", "histogram_quantile", "max_over_time", "vector", "bool", "offset", "increase",
    "scalar", "clamp_min", "clamp_max", "abs", "topk", "le", "label_replace", "time", "sort_desc", "absent",
}  # fmt: skip


def stack_values(stack: str) -> dict[str, str]:
    """A stack's config as the CLI passes it (Pulumi.yaml defaults under the stack file), keys without namespace."""
    raw, _ = stack_config(stack)
    return {key.split(":", 1)[1]: value for key, value in raw.items() if key.startswith("fintech-platform:")}


def _promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        pytest.fail("promtool is not installed: run ./dev.sh test (it installs Debian's prometheus package)")
    return found


@pytest.fixture(scope="module")
def promtool_runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess[str], ...]:
    """`promtool check rules` over the repository's files and the objectives of dev and prod, and `promtool test
    rules` over the unit tests, each once."""
    tmp = tmp_path_factory.mktemp("rules")
    files = [str(path) for path in sorted(RULES_DIR.glob("*.yaml"))]
    for stack in ("dev", "prod"):
        config = parse_stack_config(stack_values(stack))
        target = tmp / f"{stack}-objectives.yaml"
        target.write_text(rule_groups(config)["slo-objectives"])
        files.append(str(target))
    # Every dashboard query, wrapped as recording rules: promtool parses each as PromQL.
    wrapped = [{"record": f"dashboard:query_{i}", "expr": expr} for i, expr in enumerate(dashboard_queries())]
    (tmp / "dashboards.yaml").write_text(yaml.safe_dump({"groups": [{"name": "dashboards", "rules": wrapped}]}))
    files.append(str(tmp / "dashboards.yaml"))
    promtool = _promtool()
    check = subprocess.run([promtool, "check", "rules", *files], capture_output=True, text=True, check=False)
    tests = sorted(str(path) for path in PROMTOOL_DIR.glob("*_test.yaml"))
    test = subprocess.run([promtool, "test", "rules", *tests], capture_output=True, text=True, check=False)
    return check, test


def test_promtool_accepts_every_rule_file_and_each_tiers_objectives(
    promtool_runs: tuple[subprocess.CompletedProcess[str], ...],
) -> None:
    check, _ = promtool_runs
    assert check.returncode == 0, check.stdout + check.stderr
    assert check.stdout.count("SUCCESS") == len(list(RULES_DIR.glob("*.yaml"))) + 3
    assert f"SUCCESS: {len(dashboard_queries())} rules found" in check.stdout


def test_promtool_unit_tests_prove_each_alert_fires_and_clears(
    promtool_runs: tuple[subprocess.CompletedProcess[str], ...],
) -> None:
    _, test = promtool_runs
    assert test.returncode == 0, test.stdout + test.stderr
    tested = {
        rule["alertname"]
        for path in PROMTOOL_DIR.glob("*_test.yaml")
        for case in yaml.safe_load(path.read_text())["tests"]
        for rule in case.get("alert_rule_test", [])
        if rule.get("exp_alerts")
    }
    defined = {rule["alert"] for _, rule in _rules() if "alert" in rule}
    assert tested == defined


def test_the_sli_rule_file_is_the_rendering_of_the_slo_catalog() -> None:
    text = (RULES_DIR / "slo-sli.yaml").read_text()
    assert yaml.safe_load(text) == slo.sli_rules()


def test_the_promtool_objectives_are_the_rendering_of_the_test_targets() -> None:
    assert yaml.safe_load((PROMTOOL_DIR / "objectives.yaml").read_text()) == slo.objectives(TEST_TARGETS, 30)


def test_tier_objectives_follow_the_config() -> None:
    prod = parse_stack_config(stack_values("prod"))
    assert slo_targets(prod)["payments-availability"] == 0.999
    rules = yaml.safe_load(rule_groups(prod)["slo-objectives"])["groups"][0]["rules"]
    thresholds = {(r["labels"]["slo"], r["labels"].get("window")): float(r["expr"]) for r in rules}
    # The workbook's factors for 30 days: 14.4, 6 and 1 times the error budget.
    assert thresholds[("payments-availability", "1h")] == pytest.approx(0.0144)
    assert thresholds[("payments-availability", "6h")] == pytest.approx(0.006)
    assert thresholds[("payments-latency", "3d")] == pytest.approx(0.01)
    four_weeks = parse_stack_config({**stack_values("prod"), "sloPeriodDays": "28"})
    rules = yaml.safe_load(rule_groups(four_weeks)["slo-objectives"])["groups"][0]["rules"]
    fast = next(r for r in rules if r["labels"] == {"slo": "ledger-processing", "window": "1h"})
    assert float(fast["expr"]) == pytest.approx(0.02 * 28 * 24 * 0.001)


def _rules() -> list[tuple[str, dict[str, object]]]:
    return [
        (path.name, rule)
        for path in sorted(RULES_DIR.glob("*.yaml"))
        for group in yaml.safe_load(path.read_text())["groups"]
        for rule in group["rules"]
    ]


def metric_names(expr: str) -> set[str]:
    """Metric names an expression reads: identifiers that are not functions (followed by '('), PromQL words,
    label names (inside braces or by/on lists), durations or numbers."""
    text = re.sub(r'"[^"]*"', '""', expr)
    text = re.sub(r"\{[^}]*\}", " ", text)
    text = re.sub(r"\b(by|on|without|ignoring|group_left|group_right)\s*\([^)]*\)", " ", text)
    text = re.sub(r"\[[^\]]*\]", " ", text)
    text = re.sub(r"(?<![\w:])\d+(\.\d+)?([eE][+-]?\d+)?", " ", text)
    names = set()
    for match in re.finditer(r"[a-zA-Z_:][a-zA-Z0-9_:]*", text):
        if not text[match.end() :].lstrip().startswith("(") and match.group() not in PROMQL_WORDS:
            names.add(match.group())
    return names


def known_metrics() -> set[str]:
    """What the scrape jobs yield (plus `up`) and what the rules record."""
    recorded = {str(rule["record"]) for _, rule in _rules() if "record" in rule}
    recorded |= {"slo:objective:ratio", "slo:error_ratio:threshold"}
    return {name for names in SCRAPED_METRICS.values() for name in names} | recorded | {"up"}


def test_every_metric_a_rule_reads_is_scraped_or_recorded() -> None:
    unknown = {
        (file, name)
        for file, rule in _rules()
        for name in metric_names(str(rule["expr"]))
        if name not in known_metrics()
    }
    assert unknown == set()


def dashboard_queries() -> list[str]:
    """Every PromQL query of the committed dashboards."""
    return [q for path in sorted(DASHBOARD_DIR.glob("*.json")) for q in queries(json.loads(path.read_text()))]


def test_the_committed_dashboards_are_the_rendering_of_the_builders() -> None:
    rendered = dashboards()
    assert sorted(rendered) == sorted(path.name for path in DASHBOARD_DIR.glob("*.json"))
    for name, text in rendered.items():
        assert (DASHBOARD_DIR / name).read_text() == text, f"regenerate: python -m components.dashboards ({name})"
    assert len(dashboard_queries()) >= 40


def test_every_metric_a_dashboard_reads_is_scraped_or_recorded() -> None:
    unknown = {name for expr in dashboard_queries() for name in metric_names(expr) if name not in known_metrics()}
    assert unknown == set()


def test_the_metric_name_check_finds_names_and_skips_labels_and_functions() -> None:
    expr = 'sum by (namespace) (rate(foo_total{job="x",le="0.5"}[5m])) / on (slo) group_left () bar:ratio > 1e3'
    assert metric_names(expr) == {"foo_total", "bar:ratio"}
