"""Data store keys: Aurora, ElastiCache, MSK and the Secrets Manager recovery window. Every one of them but
auroraMasterRotationDays is a tier preset field (its per-tier default is in stacks/tiers.py); this module holds their
limits. The rotation period is one value for every tier: security is not a tier choice."""

from __future__ import annotations

from pydantic import ValidationInfo, field_validator

from stacks.aws_limits import ACU_MAX_FLOOR, MSK_VOLUME_GIB
from stacks.config.base import ConfigBase, check_one_per_zone, ns_key, priced

MASTER_ROTATION_MAX_DAYS = 90
"""PCI DSS v4.0.1 8.3.9: a password that is the only factor is changed at least once every 90 days; 8.6.3 asks the
same protection of system and application accounts' passwords."""


class DataStoreConfig(ConfigBase):
    """Limits of the database, the cache, Kafka and the secrets that guard them."""

    aurora_master_rotation_days: int = 30
    """Days between automatic rotations of a generated Aurora master password (Secrets Manager rotation of a region
    pair's primary; a regional cluster's RDS-managed secret rotates every 7 days on RDS's own schedule), 1-90.
    Default: 30."""

    @field_validator("aurora_master_rotation_days")
    @classmethod
    def _master_rotation_days(cls, value: int) -> int:
        if not 1 <= value <= MASTER_ROTATION_MAX_DAYS:
            raise ValueError(f"must be 1 to {MASTER_ROTATION_MAX_DAYS} days (PCI DSS 8.3.9: at most every 90 days)")
        return value

    def _check_master_rotation_read(self, rotates: bool) -> None:
        """auroraMasterRotationDays applies where the stack rotates the master secret with Secrets Manager's function
        (`rotates`: a region pair's primary, RegionPairConfig.rotates_master_secret). Elsewhere - RDS rotates its own
        managed secret every 7 days, a standby's replica follows its primary - a value other than the default would
        do nothing, so it is refused. (The default cannot be told apart from the same value set in the stack file:
        Pulumi passes the declared default of a key like any value.)"""
        default = type(self).model_fields["aurora_master_rotation_days"].default
        if not rotates and self.aurora_master_rotation_days != default:
            raise ValueError(
                f"{ns_key('auroraMasterRotationDays')} = {self._v('auroraMasterRotationDays')} has no effect here: "
                "only a region pair's primary (drStack set) rotates its generated master secret with Secrets "
                "Manager's function; a regional cluster's RDS-managed secret rotates every 7 days on RDS's schedule "
                "and a standby's replica follows its primary's rotations (allowed here: leave it unset, default "
                f"{default}; set it in the primary's stack file)"
            )

    @field_validator("aurora_min_acu")
    @classmethod
    def _acu_range(cls, value: float) -> float:
        if not 0.5 <= value <= 256 or (value * 2) % 1:
            raise ValueError("must be 0.5 to 256 ACUs in steps of 0.5")
        return value

    @field_validator("aurora_max_acu")
    @classmethod
    def _acu_max_range(cls, value: float) -> float:
        if not ACU_MAX_FLOOR <= value <= 256 or (value * 2) % 1:
            raise ValueError("must be 1 to 256 ACUs in steps of 0.5 (Aurora refuses a maximum below 1 ACU)")
        return value

    @field_validator("aurora_instances", "cache_nodes")
    @classmethod
    def _one_per_zone(cls, value: int) -> int:
        return check_one_per_zone(value)

    @field_validator("aurora_backup_retention_days")
    @classmethod
    def _aurora_retention(cls, value: int) -> int:
        if not 1 <= value <= 35:
            raise ValueError("Aurora keeps point-in-time backups 1 to 35 days")
        return value

    @field_validator("cache_snapshot_retention_days")
    @classmethod
    def _cache_retention(cls, value: int) -> int:
        if not 1 <= value <= 35:
            raise ValueError("must be 1 to 35 days (0 would turn snapshots off)")
        return value

    @field_validator("cache_node_type")
    @classmethod
    def _cache_type_known(cls, value: str) -> str:
        known = sorted(priced("elasticache:valkey:"))
        if value not in known:
            raise ValueError(f"no Valkey price for it in pricing/prices.yaml; known: {', '.join(known)}")
        return value

    @field_validator("kafka_topic_partitions")
    @classmethod
    def _topic_partitions(cls, value: int) -> int:
        if not 1 <= value <= 200:
            raise ValueError("must be 1 to 200 partitions per topic")
        return value

    @field_validator("kafka_topic_retention_hours")
    @classmethod
    def _topic_retention(cls, value: int) -> int:
        if not 1 <= value <= 8760:
            raise ValueError("must be 1 to 8760 hours (one year)")
        return value

    @field_validator("kafka_zones")
    @classmethod
    def _kafka_zones(cls, value: int) -> int:
        if value not in (2, 3):
            raise ValueError("MSK spreads brokers over 2 or 3 zones")
        return value

    @field_validator("kafka_brokers")
    @classmethod
    def _brokers(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be a positive number of brokers (a multiple of kafkaZones)")
        return value

    @field_validator("kafka_volume_gib")
    @classmethod
    def _msk_volume(cls, value: int) -> int:
        low, high = MSK_VOLUME_GIB
        if not low <= value <= high:
            raise ValueError(f"MSK broker volumes are {low} to {high} GiB")
        return value

    @field_validator("kafka_volume_max_gib")
    @classmethod
    def _msk_volume_ceiling(cls, value: int) -> int:
        if value != 0 and not MSK_VOLUME_GIB[0] <= value <= MSK_VOLUME_GIB[1]:
            raise ValueError(f"must be 0 (no storage autoscaling) or a ceiling of up to {MSK_VOLUME_GIB[1]} GiB")
        return value

    @field_validator("aurora_instance_class")
    @classmethod
    def _aurora_class_known(cls, value: str) -> str:
        known = ["db.serverless", *sorted(priced("rds:"))]
        if value not in known:
            raise ValueError(f"no price for it in pricing/prices.yaml; known: {', '.join(known)}")
        return value

    @field_validator("kafka_broker_type")
    @classmethod
    def _broker_type_known(cls, value: str) -> str:
        known = sorted(priced("msk:"))
        if value not in known:
            raise ValueError(f"no MSK price for it in pricing/prices.yaml; known: {', '.join(known)}")
        return value

    @field_validator("secret_recovery_days")
    @classmethod
    def _secret_recovery(cls, value: int) -> int:
        if not 7 <= value <= 30:
            raise ValueError("Secrets Manager allows a recovery window of 7 to 30 days")
        return value

    def _check_data_stores(self, info: ValidationInfo) -> None:
        """Aurora's capacity range (Serverless v2 only: a provisioned cluster has none), and MSK brokers and storage
        that fit their zones and ceiling."""
        if self.aurora_instance_class == "db.serverless" and self.aurora_min_acu > self.aurora_max_acu:
            raise ValueError(
                self._pair_message(
                    "auroraMinAcu", "auroraMaxAcu", info, "Serverless v2 minimum capacity must not exceed the maximum"
                )
            )
        if self.kafka_brokers < self.kafka_zones:
            raise ValueError(
                f"{ns_key('kafkaBrokers')} = {self._v('kafkaBrokers')} is fewer than {ns_key('kafkaZones')} = "
                f"{self._v('kafkaZones')}: MSK needs at least one broker per zone"
            )
        if self.kafka_brokers % self.kafka_zones:
            raise ValueError(
                f"{ns_key('kafkaBrokers')} = {self._v('kafkaBrokers')} is not a multiple of {ns_key('kafkaZones')} = "
                f"{self._v('kafkaZones')}: MSK spreads brokers evenly over its subnets"
            )
        if self.kafka_volume_max_gib and self.kafka_volume_max_gib <= self.kafka_volume_gib:
            set_keys = (info.context or {}).get("set_keys", set())
            if "kafkaVolumeGib" in set_keys and "kafkaVolumeMaxGib" not in set_keys:
                raise ValueError(
                    f"{ns_key('kafkaVolumeGib')} = {self._v('kafkaVolumeGib')} is not below "
                    f"{ns_key('kafkaVolumeMaxGib')} = {self._v('kafkaVolumeMaxGib')}: the initial size must be below "
                    "the autoscaling ceiling (or set "
                    "kafkaVolumeMaxGib to 0 to turn storage autoscaling off)"
                )
            raise ValueError(
                f"{ns_key('kafkaVolumeMaxGib')} = {self._v('kafkaVolumeMaxGib')} must be above "
                f"{ns_key('kafkaVolumeGib')} = {self._v('kafkaVolumeGib')}, or 0 to turn storage autoscaling off"
            )
