"""The stack configuration: one pydantic model, loaded from Pulumi config in one place.

`load_stack_config()` reads every key of the project's namespace, rejects unknown keys, lays the
stack's values over its tier preset (stacks/tiers.py) and validates the result. Any mistake becomes
a `ConfigError` (a `pulumi.RunError`) naming the key, the bad value and what is allowed, raised
before the program registers a single resource.

The model is split by area; each module holds its keys, their defaults and their validators:

- base.py: tier, region, accountId; ConfigError and the helpers every area shares
- network.py: VPC CIDR, zones, interface endpoint zones
- data_stores.py: Aurora, ElastiCache, MSK, Secrets Manager limits (all tier preset keys)
- cluster.py: Kubernetes version, API access, admin roles, node limits
- workloads.py: image tags, HPA range, deploy phase, the capacity fit
- edge.py: certificate, ALB ingress, WAF
- ci.py: the in-VPC CI runner and the CI roles
- region_pair.py: drRegion, drStack/standbyFor and the failover record
- ownership.py: tags, alarm e-mail, budget
- audit.py: organization trail, multi-region trail, log retention and lock
- observability.py: SLO targets and period, scrape interval, trace sampling, the Grafana switch
- model.py: StackConfig (all areas) and the tier's rules
- parsing.py: text values to a validated StackConfig, error messages
- loading.py: reading the running stack's config from the engine
"""

from stacks.config.audit import CLOUDWATCH_RETENTION_DAYS
from stacks.config.base import CONFIG_NAMESPACE, TIER_DEFAULT, ConfigError
from stacks.config.loading import (
    check_region_pair_names,
    check_stack_name,
    ignored_settings,
    load_stack_config,
    read_project_config,
)
from stacks.config.model import StackConfig
from stacks.config.ownership import SECRET_CAPABLE_KEYS, DataClassification
from stacks.config.parsing import BASELINE_SETTINGS, config_keys, parse_stack_config
from stacks.config.workloads import DeployPhase

__all__ = [
    "BASELINE_SETTINGS",
    "CLOUDWATCH_RETENTION_DAYS",
    "CONFIG_NAMESPACE",
    "SECRET_CAPABLE_KEYS",
    "TIER_DEFAULT",
    "ConfigError",
    "DataClassification",
    "DeployPhase",
    "StackConfig",
    "check_region_pair_names",
    "check_stack_name",
    "config_keys",
    "ignored_settings",
    "load_stack_config",
    "parse_stack_config",
    "read_project_config",
]
