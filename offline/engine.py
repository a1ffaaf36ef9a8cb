"""Run the real Pulumi program of this project for one stack under the SDK's mock engine.

What `pulumi up` would get from the CLI, the engine builds itself: the stack's config (Pulumi.yaml
defaults under the values of Pulumi.<stack>.yaml), the project and stack names, and a resource
monitor. The monitor records every registration (type, name, parent, provider, options such as
protect and ignoreChanges, inputs) and the stack outputs. Config values stored encrypted (`secure:`,
whole or inside a list) cannot be decrypted offline; such a key takes its declared default (a
placeholder when it has none) and is marked secret, so it stays secret all the way through.
"""

from __future__ import annotations

import json
import logging
import runpy
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pulumi
import yaml
from pulumi.runtime import mocks as sdk_mocks
from pulumi.runtime import rpc, settings
from pulumi.runtime.proto import resource_pb2
from pulumi.runtime.stack import run_in_stack
from pulumi.runtime.sync_await import _sync_await

from offline.cli import collector_paused
from offline.mocks import OfflineMocks

PROJECT_DIR = Path(__file__).resolve().parent.parent
OFFLINE_SECRET_PLACEHOLDER = "offline-placeholder-secret"
_RESOURCE_REFERENCES = "resourceReferences"
_YAML_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader when PyYAML has it (the files were checked by offline/stackfile.py first)."""


@dataclass
class Registration:
    """One resource the program registered."""

    urn: str
    id: str
    type: str
    name: str
    parent: str
    custom: bool
    provider: str
    protect: bool
    dependencies: list[str]
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    property_dependencies: dict[str, list[str]] = field(default_factory=dict)
    ignore_changes: list[str] = field(default_factory=list)
    transforms: int = 0
    """How many transforms the resource carries (the engine applies them to it and its children)."""


@dataclass
class OfflineRun:
    """The result of running the program for one stack."""

    stack: str
    project: str
    config: dict[str, Any]
    resources: list[Registration] = field(default_factory=list)
    outputs: dict[str, Any] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    error: str | None = None

    def of_type(self, type_token: str) -> list[Registration]:
        """Registrations of one resource type, in registration order."""
        return [resource for resource in self.resources if resource.type == type_token]

    def by_urn(self, urn: str) -> Registration:
        """The registration with this URN."""
        return next(resource for resource in self.resources if resource.urn == urn)

    def named(self, name: str) -> Registration:
        """The registration with this logical name (names are unique per type; first match)."""
        return next(resource for resource in self.resources if resource.name == name)


class RecordingMonitor(sdk_mocks.MockMonitor):
    """A MockMonitor that keeps every registration and the stack outputs.

    It reports no support for resource references, so a component passed to another resource (a
    pulumi-eks Cluster to a node group) travels as its URN instead of being rehydrated on the
    monitor's thread, where the SDK fails with 'attached to a different loop'.
    """

    def __init__(self, mocks: OfflineMocks) -> None:
        super().__init__(mocks)
        self.registrations: list[Registration] = []
        self.stack_outputs: dict[str, Any] = {}

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        response = super().RegisterResource(request)  # type: ignore[no-untyped-call]
        if request.type == "pulumi:pulumi:Stack":
            return response
        registered = self.resources[response.urn]
        self.registrations.append(
            Registration(
                urn=response.urn,
                id=registered.id,
                type=request.type,
                name=request.name,
                parent=request.parent,
                custom=bool(request.custom),
                provider=request.provider,
                protect=bool(request.protect),
                dependencies=list(request.dependencies),
                inputs=rpc.deserialize_properties(request.object, keep_unknowns=True),
                outputs=dict(registered.state),
                property_dependencies={
                    prop: list(dependencies.urns) for prop, dependencies in request.propertyDependencies.items()
                },
                ignore_changes=list(request.ignoreChanges),
                transforms=len(request.transforms),
            )
        )
        return response

    def RegisterResourceOutputs(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        if request.urn.split("::")[2] == "pulumi:pulumi:Stack":
            self.stack_outputs = rpc.deserialize_properties(request.outputs, keep_unknowns=True)
        return super().RegisterResourceOutputs(request)  # type: ignore[no-untyped-call]

    def SupportsFeature(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        if request.id == _RESOURCE_REFERENCES:
            return type("SupportsFeatureResponse", (object,), {"hasSupport": False})
        return super().SupportsFeature(request)  # type: ignore[no-untyped-call]

    def GetDeploymentInfo(self, request: Any) -> Any:  # noqa: N802 - gRPC method name
        info = super().GetDeploymentInfo(request)  # type: ignore[no-untyped-call]
        features = [
            feature
            for feature in info.supportedFeatures
            if feature != resource_pb2.RESOURCE_MONITOR_FEATURE_RESOURCE_REFERENCES
        ]
        return resource_pb2.DeploymentInfo(supportedFeatures=features)


class _WarningCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def load_project(project_dir: Path = PROJECT_DIR) -> dict[str, Any]:
    """Pulumi.yaml of the project."""
    project: dict[str, Any] = yaml.load((project_dir / "Pulumi.yaml").read_text(), Loader=_YAML_LOADER)
    return project


def stack_config(
    stack: str, overrides: dict[str, Any] | None = None, project_dir: Path = PROJECT_DIR
) -> tuple[dict[str, Any], list[str]]:
    """The config map the CLI would pass: declared defaults, then the stack file, then `overrides`.

    Keys are fully qualified ('project:key'); lists are JSON-encoded as the CLI does. Returns the
    map and the list of secret keys.
    """
    project = load_project(project_dir)
    name = project["name"]
    stack_file = project_dir / f"Pulumi.{stack}.yaml"
    if not stack_file.exists():
        raise FileNotFoundError(
            f"no stack file {stack_file.name}; known stacks: {', '.join(known_stacks(project_dir))}"
        )
    values: dict[str, Any] = {}
    for key, declaration in (project.get("config") or {}).items():
        if isinstance(declaration, dict) and "default" in declaration:
            values[key if ":" in key else f"{name}:{key}"] = declaration["default"]
    values.update((yaml.load(stack_file.read_text(), Loader=_YAML_LOADER) or {}).get("config") or {})
    values.update(overrides or {})
    config: dict[str, Any] = {}
    secret_keys: list[str] = []
    for key, value in values.items():
        if _has_secure(value):
            # `secure:` values (a whole value, or items of a list set with --path) cannot be decrypted
            # offline. The key takes its declared default instead - a value of the right type ('tier' for
            # a preset key, [] for a list) - and is marked secret, so it stays secret all the way through.
            declared = (project.get("config") or {}).get(key.removeprefix(f"{name}:"))
            value = declared["default"] if isinstance(declared, dict) and "default" in declared else None
            config[key] = OFFLINE_SECRET_PLACEHOLDER if value is None else _as_text(value)
            secret_keys.append(key)
        else:
            config[key] = _as_text(value)
    return config, secret_keys


def _has_secure(value: Any) -> bool:
    """Whether a stack-file value is, or holds, an encrypted `secure:` value."""
    if isinstance(value, dict):
        return set(value) == {"secure"} or any(_has_secure(item) for item in value.values())
    if isinstance(value, list):
        return any(_has_secure(item) for item in value)
    return False


def _as_text(value: Any) -> str:
    """A config value as the CLI passes it to a program: text, lists and maps JSON-encoded."""
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def known_stacks(project_dir: Path = PROJECT_DIR) -> list[str]:
    """Stack names that have a Pulumi.<stack>.yaml file."""
    return sorted(path.name[len("Pulumi.") : -len(".yaml")] for path in project_dir.glob("Pulumi.*.yaml"))


def _configure_runtime(
    monitor: RecordingMonitor, project: str, stack: str, preview: bool, logger: logging.Logger
) -> None:
    """What `pulumi.runtime.set_mocks` does, minus creating the root stack (run_in_stack does that)."""
    settings.ROOT.set(None)
    features = set(monitor.GetDeploymentInfo(None).supportedFeatures)
    settings.configure(
        sdk_mocks.MockSettings(
            monitor=monitor,
            monitor_features=features,
            engine=sdk_mocks.MockEngine(logger),
            project=project,
            stack=stack,
            dry_run=preview,
            organization="organization",
            callbacks=None,
        )
    )


def run_stack(
    stack: str,
    overrides: dict[str, Any] | None = None,
    preview: bool = False,
    project_dir: Path = PROJECT_DIR,
    secret_overrides: dict[str, str] | None = None,
) -> OfflineRun:
    """Run the program for `stack` and return what it registered. A `pulumi.RunError` (bad
    configuration) is returned in `error`, with whatever was registered before it.

    `overrides` act as `pulumi config set KEY VALUE`; `secret_overrides` as `pulumi config set --secret`.
    """
    project = load_project(project_dir)["name"]
    config, secret_keys = stack_config(stack, overrides, project_dir)
    config.update(secret_overrides or {})
    secret_keys += list(secret_overrides or {})
    if str(project_dir) not in sys.path:
        sys.path.insert(0, str(project_dir))
    program = str(project_dir / "__main__.py")
    return run_program(
        lambda: runpy.run_path(program, run_name="__main__"), project, stack, config, secret_keys, preview
    )


def run_program(
    program: Callable[[], object],
    project: str,
    stack: str,
    config: dict[str, Any] | None = None,
    secret_keys: list[str] | None = None,
    preview: bool = False,
) -> OfflineRun:
    """Run any Pulumi program function under the mock engine (used for a stack, or a component alone)."""
    pulumi.runtime.set_all_config(config or {}, secret_keys or [])
    monitor = RecordingMonitor(OfflineMocks())
    collector = _WarningCollector()
    logger = logging.getLogger(f"offline.{stack}")
    logger.propagate = False
    logger.handlers = [collector]
    _configure_runtime(monitor, project, stack, preview, logger)
    result = OfflineRun(stack=stack, project=project, config=config or {})
    try:
        with collector_paused():
            _sync_await(run_in_stack(lambda: _discard(program())))
    except pulumi.RunError as err:
        result.error = str(err)
    finally:
        settings.ROOT.set(None)
    result.resources = monitor.registrations
    result.outputs = monitor.stack_outputs
    result.warnings = collector.messages
    return result


def _discard(_: object) -> None:
    """run_in_stack wants a function that returns None or an awaitable."""
