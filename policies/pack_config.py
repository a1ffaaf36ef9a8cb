"""The policy pack's config (`--policy-pack-config FILE`), read and checked as CrossGuard does, and stricter.

What the Pulumi CLI does with the file (https://www.pulumi.com/docs/using-pulumi/crossguard/configuration;
pulumi/pulumi pkg/resource/analyzer/config.go, `parsePolicyPackConfig`, `ReconcilePolicyPackConfig`,
`validatePolicyPackConfig`):

- empty content is no config; otherwise a JSON object mapping a policy name (or `all`) to either an
  enforcement level string or an object with an optional `enforcementLevel` and the policy's properties;
  any other value is refused ("must be a string or object");
- an enforcement level must be one of advisory, mandatory, remediate, disabled (apitype.EnforcementLevel,
  pulumi_policy.EnforcementLevel); `all` sets every policy's level, a policy's own entry wins over it;
- each policy's properties, with the schema defaults filled in, are validated with gojsonschema against
  `{"type": "object", "properties": <configSchema.properties>, "required": <configSchema.required>}`.

What the CLI lets through, and this module refuses (a typo there silently weakens the pack):
a property a rule does not declare (the CLI's schema has no `additionalProperties: false`), properties
given to a rule without a config schema or under `all`, and a name that is not a rule of the pack.
`python -m offline.audit` refuses them before it evaluates anything; the pack itself (policies/__main__.py,
through `guarded`) refuses undeclared properties when the CLI hands them over on a real preview.

A level of `remediate` reports a violation as mandatory: these rules only validate, and pulumi-policy
"downgrades" remediate to mandatory when a validation still fails (pulumi_policy/policy.py, Analyze).
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from pulumi_policy import EnforcementLevel

from policies.rules.base import ResourceView, Rule

ENFORCEMENT_LEVELS = tuple(level.value for level in EnforcementLevel)
"""advisory, mandatory, remediate, disabled."""
BLOCKING_LEVELS = (EnforcementLevel.MANDATORY.value, EnforcementLevel.REMEDIATE.value)
"""Levels whose violations fail a preview (remediate is reported as mandatory by a validate-only rule)."""
ALL = "all"
SCHEMA_KEYWORDS = frozenset({
    "type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "minLength",
    "maxLength", "pattern", "items", "minItems", "maxItems", "uniqueItems", "properties", "required",
    "additionalProperties", "default", "description",
})  # fmt: skip
"""The JSON Schema keywords this validator implements; a rule schema using another one is refused."""


class PolicyConfigError(ValueError):
    """The policy pack config is invalid; the message lists every problem, each naming rule, property and value."""


@dataclass(frozen=True)
class PackConfig:
    """A checked pack config: the enforcement level and the given properties of each rule."""

    levels: dict[str, str] = field(default_factory=dict)
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)

    def level(self, rule: Rule) -> str:
        """The rule's effective enforcement level."""
        return self.levels.get(rule.name, rule.enforcement.value)

    def config(self, rule: Rule) -> dict[str, Any]:
        """The properties given to the rule (its defaults fill the rest)."""
        return dict(self.properties.get(rule.name, {}))


def parse_pack_config(text: str, rules: Sequence[Rule], source: str = "policy config") -> PackConfig:
    """Read a `--policy-pack-config` file's content; PolicyConfigError lists every problem."""
    if not text.strip():
        return PackConfig()  # the CLI: "Gracefully allow empty content"
    try:
        document = json.loads(text, object_pairs_hook=lambda pairs: _without_duplicates(pairs, source))
    except json.JSONDecodeError as err:
        raise PolicyConfigError(f"{source} is not valid JSON at line {err.lineno}, column {err.colno}: "
                                f"{err.msg}") from None  # fmt: skip
    return check_pack_config(document, rules, source)


def _without_duplicates(pairs: list[tuple[str, Any]], source: str) -> dict[str, Any]:
    """A JSON object, refusing a key given twice: json.loads (and the CLI's Go decoder) keep the last one
    silently, so a second entry of a rule would replace the first without a word."""
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            raise PolicyConfigError(f"{source}: {key!r} is given twice in one object; give each rule (and each "
                                    "property) once")  # fmt: skip
        seen.add(key)
    return dict(pairs)


def stack_problems(
    pack: PackConfig, rules: Sequence[Rule], stack: str, pair_role: str, trail_stacks: Mapping[str, bool]
) -> list[str]:
    """What makes a stack's pack config contradict the stack it judges (each would weaken the pack silently):

    - region-pair-replication.role, when given, other than the side of a region pair the stack is on
      (`pair_role`: primary with drStack, standby with standbyFor) - e.g. a standby's config saying none;
    - multiRegionTrailStack naming the stack itself, a stack that does not exist, or one whose trail records
      its own region only. `trail_stacks` maps each stack of the project to whether its trail records every region.
    """
    problems = []
    by_name = {rule.name: rule for rule in rules}
    given_role = pack.properties.get("region-pair-replication", {}).get("role")
    # A stack outside a pair judged as a primary or standby is judged more strictly (auditing dev against
    # prod.json is a fair question); the other way round the pack would skip checks the stack needs.
    if given_role is not None and given_role != pair_role and pair_role != "none":
        problems.append(
            f"region-pair-replication.role = {given_role!r}, but stack '{stack}' is "
            + f"the {pair_role} of a region pair (fintech-platform:drStack/standbyFor); set role {pair_role!r}"
        )
    for name, given in sorted(pack.properties.items()):
        other = given.get("multiRegionTrailStack") if name in by_name else None
        if not other:
            continue
        key = f"{name}.multiRegionTrailStack = {other!r}"
        if other == stack:
            problems.append(f"{key} names this stack itself: its own trail is the one that must record every region")
        elif other not in trail_stacks:
            problems.append(f"{key} names no stack of the project (stacks: {', '.join(sorted(trail_stacks))})")
        elif not trail_stacks[other]:
            problems.append(f"{key}: that stack's trail records its own region only "
                            "(fintech-platform:auditTrailMultiRegion = false), not this stack's region")  # fmt: skip
    return problems


def check_pack_config(document: Any, rules: Sequence[Rule], source: str = "policy config") -> PackConfig:
    """Check a parsed pack config against the rules and their config schemas."""
    if not isinstance(document, dict):
        raise PolicyConfigError(f"{source} holds a JSON {type(document).__name__}; it must be an object mapping a "
                                "rule name (or 'all') to an enforcement level or an object of properties")  # fmt: skip
    by_name = {rule.name: rule for rule in rules}
    problems: list[str] = []
    levels: dict[str, str] = {}
    properties: dict[str, dict[str, Any]] = {}
    for name, entry in document.items():
        if name != ALL and name not in by_name:
            close = difflib.get_close_matches(name, list(by_name), n=2)
            hint = f" (did you mean {' or '.join(repr(c) for c in close)}?)" if close else ""
            problems.append(f"{name!r} is not a rule of the pack{hint}; `python -m offline.audit STACK` lists "
                            f"its {len(by_name)} rules")  # fmt: skip
            continue
        level, given = _split_entry(name, entry, problems)
        if level is not None:
            levels[name] = level
        if name == ALL:
            if given:
                problems.append(f"all: takes only an enforcement level, not properties ({', '.join(given)})")
            continue
        problems += property_errors(by_name[name], given)
        properties[name] = given
    if problems:
        raise PolicyConfigError(f"{source} is invalid:\n" + "\n".join(f"  {problem}" for problem in problems))
    if ALL in levels:
        levels = {rule.name: levels.get(rule.name, levels[ALL]) for rule in rules}
    return PackConfig(levels, properties)


def _split_entry(name: str, entry: Any, problems: list[str]) -> tuple[str | None, dict[str, Any]]:
    """An entry as (enforcement level or None, properties); problems appended."""
    allowed = ", ".join(ENFORCEMENT_LEVELS)
    level: Any
    if isinstance(entry, str):
        level, given = entry, {}
    elif isinstance(entry, dict):
        given = {key: value for key, value in entry.items() if key != "enforcementLevel"}
        level = entry.get("enforcementLevel")
        if "enforcementLevel" in entry and not isinstance(level, str):
            problems.append(f"{name}.enforcementLevel = {json.dumps(level)} is not a string; one of {allowed}")
            return None, given
    else:
        problems.append(f"{name} = {json.dumps(entry)} is neither an enforcement level ({allowed}) nor an object "
                        "of properties")  # fmt: skip
        return None, {}
    if level is not None and level not in ENFORCEMENT_LEVELS:
        close = difflib.get_close_matches(level, ENFORCEMENT_LEVELS, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        problems.append(f"{name}: enforcement level {level!r} is not one of {allowed}{hint}")
        return None, given
    return level, given


def property_errors(rule: Rule, given: Mapping[str, Any]) -> list[str]:
    """Problems of the properties given to a rule: undeclared ones, and values its schema refuses."""
    if not rule.config:
        return [f"{rule.name}: takes no properties, got {', '.join(map(repr, given))}"] if given else []
    schema = {"type": "object", "properties": dict(rule.config), "additionalProperties": False}
    return [f"{rule.name}{problem}" for problem in schema_errors(schema, dict(given), "")]


def schema_errors(schema: Mapping[str, Any], value: Any, path: str) -> list[str]:
    """Where `value` breaks `schema` (the JSON Schema subset in SCHEMA_KEYWORDS), as '<path> ...' messages."""
    unsupported = sorted(set(schema) - SCHEMA_KEYWORDS)
    if unsupported:
        raise PolicyConfigError(f"the config schema at '{path or '.'}' uses {', '.join(unsupported)}, which "
                                "policies/pack_config.py does not implement")  # fmt: skip
    shown = f"{path} = {json.dumps(value)}" if path else ""
    expected = schema.get("type")
    if expected is not None:
        kinds = [expected] if isinstance(expected, str) else list(expected)
        if not any(_is_type(value, kind) for kind in kinds):
            return [f"{shown}: must be {' or '.join(_ARTICLE.get(k, k) for k in kinds)}"]
    errors: list[str] = []
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{shown}: must be one of {', '.join(json.dumps(v) for v in schema['enum'])}")
    if "const" in schema and value != schema["const"]:
        errors.append(f"{shown}: must be {json.dumps(schema['const'])}")
    if _is_type(value, "number"):
        errors += _number_errors(schema, value, shown)
    if isinstance(value, str):
        errors += _string_errors(schema, value, shown)
    if isinstance(value, list):
        errors += _array_errors(schema, value, path, shown)
    if isinstance(value, dict):
        errors += _object_errors(schema, value, path)
    return errors


_ARTICLE = {"integer": "an integer", "number": "a number", "string": "a string", "boolean": "true or false",
            "array": "a list", "object": "an object", "null": "null"}  # fmt: skip


def _is_type(value: Any, kind: str) -> bool:
    if kind == "integer":
        return (isinstance(value, int) and not isinstance(value, bool)) or (
            isinstance(value, float) and value.is_integer()
        )
    if kind == "number":
        return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return isinstance(value, {"string": str, "boolean": bool, "array": list, "object": dict, "null": type(None)}[kind])


def _number_errors(schema: Mapping[str, Any], value: float, shown: str) -> list[str]:
    checks = (("minimum", value < schema.get("minimum", -math.inf), ">="),
              ("maximum", value > schema.get("maximum", math.inf), "<="),
              ("exclusiveMinimum", value <= schema.get("exclusiveMinimum", -math.inf), ">"),
              ("exclusiveMaximum", value >= schema.get("exclusiveMaximum", math.inf), "<"))  # fmt: skip
    return [f"{shown}: must be {sign} {schema[key]}" for key, broken, sign in checks if key in schema and broken]


def _string_errors(schema: Mapping[str, Any], value: str, shown: str) -> list[str]:
    errors = []
    if len(value) < schema.get("minLength", 0):
        errors.append(f"{shown}: must have at least {schema['minLength']} characters")
    if len(value) > schema.get("maxLength", math.inf):
        errors.append(f"{shown}: must have at most {schema['maxLength']} characters")
    if "pattern" in schema and re.search(schema["pattern"], value) is None:
        errors.append(f"{shown}: must match {schema['pattern']}")
    return errors


def _array_errors(schema: Mapping[str, Any], value: list[Any], path: str, shown: str) -> list[str]:
    errors = []
    if len(value) < schema.get("minItems", 0):
        errors.append(f"{shown}: must have at least {schema['minItems']} item(s)")
    if len(value) > schema.get("maxItems", math.inf):
        errors.append(f"{shown}: must have at most {schema['maxItems']} item(s)")
    if schema.get("uniqueItems") and len({json.dumps(item, sort_keys=True) for item in value}) != len(value):
        errors.append(f"{shown}: must not repeat an item")
    if isinstance(schema.get("items"), Mapping):
        for index, item in enumerate(value):
            errors += schema_errors(schema["items"], item, f"{path}[{index}]")
    return errors


def _object_errors(schema: Mapping[str, Any], value: dict[str, Any], path: str) -> list[str]:
    declared: Mapping[str, Any] = schema.get("properties", {})
    errors = [f"{path}.{key}: is required" for key in schema.get("required", []) if key not in value]
    extra = schema.get("additionalProperties", True)
    for key, item in value.items():
        if key in declared:
            errors += schema_errors(declared[key], item, f"{path}.{key}")
        elif extra is False:
            known = ", ".join(declared) or "nothing"
            close = difflib.get_close_matches(str(key), list(declared), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            errors.append(f"{path}.{key}: is not a property of this rule{hint}; it takes {known}")
        elif isinstance(extra, Mapping):
            errors += schema_errors(extra, item, f"{path}.{key}")
    return errors


def guarded(rule: Rule) -> Rule:
    """The rule, refusing a config it does not declare before it checks anything.

    On a real preview the CLI has validated the declared properties' values, but hands undeclared
    ones through; the check raises PolicyConfigError, which pulumi-policy's analyzer returns to the
    CLI as an error, so the preview fails with the message instead of passing on a typo."""

    def _refuse(config: Mapping[str, Any]) -> None:
        problems = property_errors(rule, config)
        if problems:
            raise PolicyConfigError("policy pack config is invalid: " + "; ".join(problems))

    if rule.stack_check is not None:
        stack_check = rule.stack_check

        def checked_stack(resources: Sequence[ResourceView], config: Mapping[str, Any]) -> Iterable[tuple[str, str]]:
            _refuse(config)
            return stack_check(resources, config)

        return replace(rule, stack_check=checked_stack)
    check = rule.check
    if check is None:
        raise TypeError(f"rule {rule.name} has neither check nor stack_check")

    def checked(resource: ResourceView, config: Mapping[str, Any]) -> Iterable[str]:
        _refuse(config)
        return check(resource, config)

    return replace(rule, check=checked)
