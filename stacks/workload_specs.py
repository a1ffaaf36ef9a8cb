"""The platform's three workloads: what each needs from the platform, as data.

validator (public): checks transactions; cache for rate and duplicate checks; writes
  transactions.validated.
payments (public): initiates payments from validated transactions; Aurora as payments_app; reads
  transactions.validated, writes payments.initiated; calls the ledger over HTTP.
ledger (internal): posts double-entry records; Aurora as ledger_app; reads payments.initiated,
  writes ledger.posted; only payments may call it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from stacks.capacity import Demand, Resources, parse_cpu, parse_memory

DataStore = Literal["aurora", "cache", "kafka"]


@dataclass(frozen=True)
class WorkloadSpec:
    """One workload's needs."""

    name: str
    public: bool
    requests: tuple[str, str]
    """CPU and memory requests of one pod."""
    limits: tuple[str, str]
    """CPU and memory limits of one pod."""
    data_stores: tuple[DataStore, ...]
    db_user: str = ""
    produces: tuple[str, ...] = ()
    consumes: tuple[str, ...] = ()
    calls: tuple[str, ...] = ()
    """Workloads it calls over HTTP."""
    secrets: tuple[str, ...] = ()
    """Platform secrets (AppSecrets names) it reads at run time."""

    @property
    def consumer_group(self) -> str:
        """Its Kafka consumer group: its own name when it consumes, else none."""
        return self.name if self.consumes else ""

    def demand(self, min_replicas: int, max_replicas: int) -> Demand:
        """Its pod requests for the capacity check."""
        cpu, memory = self.requests
        return Demand(self.name, Resources(parse_cpu(cpu), parse_memory(memory), 1), min_replicas, max_replicas)


WORKLOADS: tuple[WorkloadSpec, ...] = (
    WorkloadSpec("validator", public=True, requests=("200m", "256Mi"), limits=("1", "512Mi"),
                 data_stores=("cache", "kafka"), produces=("transactions.validated",)),
    WorkloadSpec("payments", public=True, requests=("200m", "256Mi"), limits=("1", "512Mi"),
                 data_stores=("aurora", "cache", "kafka"), db_user="payments_app",
                 produces=("payments.initiated",), consumes=("transactions.validated",), calls=("ledger",)),
    WorkloadSpec("ledger", public=False, requests=("200m", "320Mi"), limits=("1", "640Mi"),
                 data_stores=("aurora", "kafka"), db_user="ledger_app", produces=("ledger.posted",),
                 consumes=("payments.initiated",)),
)  # fmt: skip


def platform_topics(specs: tuple[WorkloadSpec, ...] = WORKLOADS) -> tuple[str, ...]:
    """The Kafka topics the stack creates: every topic a workload produces, each with exactly one producer;
    a consumed topic that nobody produces is refused."""
    produced = [topic for spec in specs for topic in spec.produces]
    twice = sorted({topic for topic in produced if produced.count(topic) > 1})
    if twice:
        raise ValueError(f"topics {twice} have more than one producer; each topic has one owning workload")
    orphans = sorted({topic for spec in specs for topic in spec.consumes} - set(produced))
    if orphans:
        raise ValueError(f"topics {orphans} are consumed but no workload produces them")
    return tuple(produced)


def database_users(specs: tuple[WorkloadSpec, ...] = WORKLOADS) -> tuple[str, ...]:
    """The database users the stack creates: one per workload that uses Aurora, never shared."""
    users = [spec.db_user for spec in specs if "aurora" in spec.data_stores]
    if "" in users or len(set(users)) != len(users):
        raise ValueError(f"every workload using aurora needs its own db_user; got {users}")
    return tuple(users)


def callers_of(name: str) -> tuple[str, ...]:
    """Workloads that call `name` over HTTP."""
    return tuple(spec.name for spec in WORKLOADS if name in spec.calls)
