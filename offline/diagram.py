"""A Mermaid architecture diagram of a plan: components as nodes, the resources one component takes
from another as edges, derived from the registered dependencies (nothing is drawn by hand)."""

from __future__ import annotations

from typing import Any

from pricing.model import component_label

KEY_COMPONENTS = ("kms",)
"""Components that every other one uses; their edges are drawn dotted to keep the picture readable."""


def mermaid(plan: dict[str, Any]) -> str:
    """The plan's components and the dependencies between them, as a Mermaid flowchart."""
    owner: dict[str, str] = {}
    for component in plan["components"]:
        label = component_label(component, plan["stack"])
        for resource in component["resources"]:
            owner[resource["urn"]] = label
    labels = sorted({label for label in owner.values() if label != "providers"})
    edges: set[tuple[str, str]] = set()
    for component in plan["components"]:
        label = component_label(component, plan["stack"])
        for resource in component["resources"]:
            for dependency in resource.get("dependencies", []):
                source = owner.get(dependency)
                if source and source != label and "providers" not in (source, label):
                    edges.add((source, label))
    lines = ["flowchart LR", "  internet((Internet))"]
    lines += [f"  {_node(label)}[{label}]" for label in labels]
    if "edge" in labels:
        lines.append("  internet -->|HTTPS| edge")
    for source, target in sorted(edges):
        arrow = "-.->" if source.split(":")[0] in KEY_COMPONENTS else "-->"
        lines.append(f"  {_node(source)} {arrow} {_node(target)}")
    return "\n".join(lines)


def _node(label: str) -> str:
    return label.replace(":", "_").replace("-", "_")
