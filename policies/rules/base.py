"""What a rule is, how it sees a resource, and how it becomes a pulumi-policy Policy.

A rule sees a `ResourceView`: the type, name, URN, properties (engine names, camelCase), protect
flag and the properties of its provider. The same view is built from a real `pulumi preview`
(pulumi-policy's arguments) and from the offline plan, so one rule body serves both. A property
that is unknown during a preview raises pulumi-policy's UnknownValueError when read (the SDK's
proxy does this in a preview; the offline evaluator wraps values the same way): the rule is then
reported as not evaluable, never as passed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyComplianceFramework,
    PolicyConfigSchema,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    Severity,
    StackValidationArgs,
    StackValidationPolicy,
)

from policies.pci import PCI_DSS, PCI_DSS_VERSION


@dataclass(frozen=True)
class ResourceView:
    """One resource as a rule sees it."""

    type: str
    name: str
    urn: str
    props: Mapping[str, Any]
    protect: bool = False
    provider_props: Mapping[str, Any] = field(default_factory=dict)
    parent: str = ""
    property_dependencies: Mapping[str, Sequence[str]] = field(default_factory=dict)
    """URNs each property's value came from (stack rules use them to relate resources)."""

    def depends_on(self, prop: str) -> set[str]:
        """URNs the value of `prop` came from."""
        return set(self.property_dependencies.get(prop, ()))

    def get(self, path: str, default: Any = None) -> Any:
        """A property by dotted path ('encryptionInfo.encryptionAtRestKmsKeyArn'); `default` when absent."""
        value: Any = self.props
        for part in path.split("."):
            if not isinstance(value, Mapping) or part not in value:
                return default
            value = value[part]
        return value


Check = Callable[[ResourceView, Mapping[str, Any]], Iterable[str]]
"""Yields one message per violation of a resource."""
StackCheck = Callable[[Sequence[ResourceView], Mapping[str, Any]], Iterable[tuple[str, str]]]
"""Yields (resource URN, message) per violation across the stack."""


@dataclass(frozen=True)
class Rule:
    """One policy: metadata an auditor reads, and the check."""

    name: str
    area: str
    description: str
    severity: Severity
    pci_requirement: str
    """The PCI DSS v4.0.1 requirement the rule evidences first (an ID of policies/pci.py)."""
    remediation: str
    resource_types: tuple[str, ...] = ()
    """Types the check applies to (resource rules); empty for stack rules."""
    check: Check | None = None
    stack_check: StackCheck | None = None
    enforcement: EnforcementLevel = EnforcementLevel.MANDATORY
    config: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Config properties (JSON schema with 'default'); defaults are the strict (prod) values."""
    pci_also: tuple[str, ...] = ()
    """Further PCI DSS v4.0.1 requirements the rule evidences. Default: none."""

    @property
    def pci_requirements(self) -> tuple[str, ...]:
        """Every PCI DSS v4.0.1 requirement the rule evidences, the first one first."""
        return (self.pci_requirement, *(r for r in self.pci_also if r != self.pci_requirement))

    def defaults(self) -> dict[str, Any]:
        """The rule's config with every default applied."""
        return {key: schema["default"] for key, schema in self.config.items()}

    def evaluate(self, resource: ResourceView, config: Mapping[str, Any]) -> list[str]:
        """Violation messages of one resource (none when the rule does not apply to its type)."""
        if self.check is None or resource.type not in self.resource_types:
            return []
        return list(self.check(resource, {**self.defaults(), **config}))

    def evaluate_stack(self, resources: Sequence[ResourceView], config: Mapping[str, Any]) -> list[tuple[str, str]]:
        """Violations across the stack (stack rules only)."""
        if self.stack_check is None:
            return []
        return list(self.stack_check(resources, {**self.defaults(), **config}))

    def to_policy(self) -> ResourceValidationPolicy | StackValidationPolicy:
        """The pulumi-policy Policy of this rule."""
        metadata: dict[str, Any] = {
            "name": self.name,
            "description": self.description,
            "enforcement_level": self.enforcement,
            "severity": self.severity,
            "framework": PolicyComplianceFramework(
                name=PCI_DSS, version=PCI_DSS_VERSION, reference=", ".join(self.pci_requirements)
            ),
            "remediation_steps": self.remediation,
            "tags": [self.area],
            "config_schema": PolicyConfigSchema(properties={k: dict(v) for k, v in self.config.items()})
            if self.config
            else None,
        }
        if self.stack_check is not None:
            return StackValidationPolicy(validate=self._validate_stack, **metadata)
        return ResourceValidationPolicy(validate=self._validate_resource, **metadata)

    def _validate_resource(self, args: ResourceValidationArgs, report_violation: ReportViolation) -> None:
        view = ResourceView(
            type=args.resource_type,
            name=args.name,
            urn=args.urn,
            props=args.props,
            protect=bool(getattr(args.opts, "protect", False)),
            provider_props=getattr(args.provider, "props", None) or {},
        )
        for message in self.evaluate(view, args.get_config()):
            report_violation(message, None)

    def _validate_stack(self, args: StackValidationArgs, report_violation: ReportViolation) -> None:
        views = [
            ResourceView(
                type=resource.resource_type,
                name=resource.name,
                urn=resource.urn,
                props=resource.props,
                protect=bool(getattr(resource.opts, "protect", False)),
                provider_props=getattr(resource.provider, "props", None) or {},
                parent=getattr(resource.parent, "urn", "") or "",
                property_dependencies={
                    prop: [dependency.urn for dependency in dependencies]
                    for prop, dependencies in (resource.property_dependencies or {}).items()
                },
            )
            for resource in args.resources
        ]
        for urn, message in self.evaluate_stack(views, args.get_config()):
            report_violation(message, urn)


def arn_or_id_set(value: Any) -> bool:
    """A key reference is set (not empty and not an AWS-managed alias)."""
    return isinstance(value, str) and bool(value) and not value.startswith("alias/aws/")


def is_list(value: Any) -> bool:
    """A list, or pulumi-policy's read-only proxy of one (which is a Sequence, not a list)."""
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes))


def of_type(resources: Sequence[ResourceView], *types: str) -> list[ResourceView]:
    """The resources of the given types."""
    return [resource for resource in resources if resource.type in types]
