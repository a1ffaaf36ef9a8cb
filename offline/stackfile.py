"""Checks the project and stack files the way the Pulumi CLI reads them, before the offline engine uses them.

The offline engine (offline/engine.py) builds the config map the CLI would pass to the program; it
expects well-formed files. A careless edit (invalid YAML, a list where a mapping belongs, a key
without its namespace, a duplicated key) would otherwise end in a Python traceback, or worse, be
read differently from the CLI. What the CLI accepts, from pulumi/pulumi:

- a stack file is a mapping of `secretsprovider`, `encryptedkey`, `encryptionsalt`, `config` and
  `environment` (sdk/go/common/workspace/project.go, `ProjectStack`);
- `config` maps keys of the form `<namespace>:<name>` (sdk/go/common/resource/config/key.go,
  `ParseKey`: "configuration keys should be of the form `<namespace>:<name>`") to a value: a string,
  number, boolean, list, mapping, or `{secure: <ciphertext>}`;
- YAML is parsed by go-yaml v3, which refuses a key defined twice in one mapping ("mapping key ... already
  defined"); PyYAML would silently keep the last one, so this loader refuses it too.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from typing import Any

import yaml

from offline.cli import CommandError

STACK_FILE_KEYS = ("config", "secretsprovider", "encryptedkey", "encryptionsalt", "environment")
DECLARATION_FIELDS = ("type", "description", "default", "value", "secret", "items")
"""Fields of a config declaration in Pulumi.yaml (sdk/go/common/workspace/project.go, ProjectConfigType)."""


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses a key defined twice in one mapping, as go-yaml v3 does."""


def _mapping_without_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        try:
            duplicate = key in seen
            seen.add(key)
        except TypeError:  # an unhashable key (a list or mapping used as a key); reported by the caller
            continue
        if duplicate:
            raise yaml.constructor.ConstructorError(
                None, None, f"key {key!r} is defined twice in one mapping", key_node.start_mark
            )
    return loader.construct_mapping(node)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


class _FastStrictLoader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # type: ignore[misc]
    """The same loader on libyaml's parser when PyYAML was built with it (about 5 times faster; the plan reads
    its YAML files a dozen times). Only documents it accepts are read with it: on an error the pure-Python
    loader reads the text again, so the message names the problem in the same words wherever PyYAML runs."""


_FastStrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _mapping_without_duplicates)


def load_yaml(text: str) -> Any:
    """YAML text as data, refusing duplicated keys; a yaml.YAMLError carries the pure-Python parser's message."""
    try:
        return yaml.load(text, Loader=_FastStrictLoader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as fast_error:
        yaml.load(text, Loader=_StrictLoader)
        raise fast_error  # both parsers refuse the same documents; should they ever differ, libyaml's word stands


def read_yaml(path: Path, what: str, label: str = "") -> Any:
    """A YAML file as data; CommandError naming the file (as `label`), line and problem when it is not valid YAML."""
    name = label or path.name
    if not path.is_file():
        raise CommandError(f"{name}: no such file in {path.parent}; {what} must be there")
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as err:
        raise CommandError(f"{name} is not UTF-8 text (byte {err.start}); {what} must be a YAML file") from err
    try:
        return load_yaml(text)
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark is not None else ""
        problem = getattr(err, "problem", None) or str(err).splitlines()[0]
        raise CommandError(f"{name} is not valid YAML{where}: {problem}; fix the file ({what})") from err


def _kind(value: Any) -> str:
    kinds = {dict: "a mapping", list: "a list", str: "a string", bool: "a boolean", int: "an integer",
             float: "a number", type(None): "empty (null)"}  # fmt: skip
    return kinds.get(type(value), f"a {type(value).__name__}")


def check_project(project_dir: Path) -> str:
    """Pulumi.yaml is a mapping with a name and a mapping of config declarations; returns the name."""
    project = read_yaml(project_dir / "Pulumi.yaml", "the project file")
    if not isinstance(project, dict):
        raise CommandError(f"Pulumi.yaml holds {_kind(project)}; it must be a mapping with name, runtime and config")
    name = project.get("name")
    if not isinstance(name, str) or not name:
        raise CommandError(f"Pulumi.yaml: name is {_kind(name)}; it must be the project name (a string)")
    declarations = project.get("config")
    if declarations is not None and not isinstance(declarations, dict):
        raise CommandError(f"Pulumi.yaml: config is {_kind(declarations)}; it must map each key to its declaration")
    for key, declaration in (declarations or {}).items():
        if not isinstance(key, str):
            raise CommandError(f"Pulumi.yaml: config key {key!r} is {_kind(key)}; keys must be strings")
        extra = sorted(set(map(str, declaration)) - set(DECLARATION_FIELDS)) if isinstance(declaration, dict) else []
        if extra:
            raise CommandError(f"Pulumi.yaml: config.{key} has unknown field(s) {', '.join(extra)}; "
                               f"a declaration holds {', '.join(DECLARATION_FIELDS)}")  # fmt: skip
    return name


def check_stack_file(project_dir: Path, stack: str) -> None:
    """Pulumi.<stack>.yaml has the shape the Pulumi CLI reads; CommandError names the key and what is allowed."""
    check_project(project_dir)
    name = f"Pulumi.{stack}.yaml"
    document = read_yaml(project_dir / name, f"the config of stack '{stack}'")
    if document is None:
        return  # an empty stack file: no config of its own, as `pulumi stack init` leaves it
    if not isinstance(document, dict):
        raise CommandError(f"{name} holds {_kind(document)}; it must be a mapping such as 'config: {{KEY: VALUE}}'")
    for key in document:
        if key not in STACK_FILE_KEYS:
            raise CommandError(f"{name}: unknown top-level key {key!r}; a stack file holds {', '.join(STACK_FILE_KEYS)}"
                               " (config values go under 'config:')")  # fmt: skip
    config = document.get("config")
    if config is None:
        return
    if not isinstance(config, dict):
        raise CommandError(f"{name}: config is {_kind(config)}; it must be a mapping of 'namespace:key: value'")
    for key, value in config.items():
        _check_entry(name, key, value)


def _check_entry(file: str, key: Any, value: Any) -> None:
    if not isinstance(key, str):
        raise CommandError(f"{file}: config key {key!r} is {_kind(key)}; keys are strings of the form "
                           "'namespace:name' such as 'fintech-platform:tier'")  # fmt: skip
    parts = key.split(":")
    legacy = len(parts) == 3 and parts[1] == "config"  # 'ns:config:name', which ParseKey also accepts
    if not (len(parts) == 2 or legacy) or not all(parts):
        raise CommandError(f"{file}: config key {key!r} is not of the form 'namespace:name' "
                           "(for example 'fintech-platform:tier' or 'aws:region')")  # fmt: skip
    if value is None:
        raise CommandError(f"{file}: {key} has no value; give it a value or remove the line")
    if isinstance(value, dict) and "secure" in value:
        _check_secret(file, key, value)
        return
    if isinstance(value, list):
        # `pulumi config set --secret --path 'key[0]'` stores an item as {secure: ...}: each such item is checked
        # as a whole secret is (issue 23: an item that is not ciphertext planned without a word).
        for index, item in enumerate(value):
            if isinstance(item, dict) and "secure" in item:
                _check_secret(file, f"{key}[{index}]", item)
    if not isinstance(value, (str, int, float, bool, list, dict, datetime.date)):
        raise CommandError(f"{file}: {key} is {_kind(value)}; a config value is a string, number, boolean, "
                           "list or mapping")  # fmt: skip


_CIPHERTEXT = re.compile(r"(v1:)?[A-Za-z0-9+/=:_-]{8,}")
"""What the Pulumi secrets providers write: base64 (service, cloud KMS providers) or 'v1:<nonce>:<ciphertext>'
(passphrase provider, sdk/go/common/resource/config/crypt.go)."""


def _check_secret(file: str, key: str, value: dict[Any, Any]) -> None:
    if set(value) != {"secure"} or not isinstance(value["secure"], str) or not value["secure"]:
        raise CommandError(f"{file}: {key} is a malformed secret; a secret is 'secure: <ciphertext>' alone, "
                           "as `pulumi config set --secret` writes it")  # fmt: skip
    if not _CIPHERTEXT.fullmatch(value["secure"]):
        raise CommandError(f"{file}: {key} = secure: [not shown] is not ciphertext (base64, or "
                           "v1:<nonce>:<ciphertext>); set it with `pulumi config set --secret` instead of editing the "
                           "file")  # fmt: skip
