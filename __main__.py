"""The fintech platform's Pulumi program: load the stack config, build the platform, export outputs."""

import pulumi

from stacks.config import load_stack_config
from stacks.platform import build_platform

config = load_stack_config()
build_platform(config, pulumi.get_stack()).export()
