"""Every rule of the pack: a passing case, an explicit failing case and a failing-by-default case
(the property left unset). Stack rules get small stacks built for the purpose."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from policies.rules import ALL_RULES
from policies.rules.base import ResourceView, Rule
from tests import test_audit_logging_rules as audit_logging_cases
from tests import test_compliance_rules as compliance_cases
from tests import test_credential_rotation_rules as credential_rotation_cases
from tests import test_grafana as grafana_cases
from tests import test_observability_policies as observability_cases
from tests import test_region_pair_rules as region_pair_cases
from tests import test_region_switch_rules as region_switch_cases
from tests.helpers import view as _r

RULES = {rule.name: rule for rule in ALL_RULES}
KEY = "arn:aws:kms:us-east-1:111122223333:key/1234"
TAGS = {"environment": "prod", "project": "p", "owner": "o", "cost-center": "c", "data-classification": "restricted",
        "managed-by": "pulumi"}  # fmt: skip
IRSA_TRUST = (
    '{"Statement": [{"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::1:oidc-provider/oidc.eks/id/X"},'
    ' "Action": "sts:AssumeRoleWithWebIdentity", "Condition": {"StringEquals": {"oidc.eks/id/X:sub":'
    ' "system:serviceaccount:payments:payments", "oidc.eks/id/X:aud": "sts.amazonaws.com"}}}]}'
)
LT_OK = {"metadataOptions": {"httpTokens": "required", "httpPutResponseHopLimit": 1},
         "blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "true", "kmsKeyId": KEY}}]}  # fmt: skip
WAF_RULES = [{"statement": {"managedRuleGroupStatement": {"name": n}}} for n in (
    "AWSManagedRulesCommonRuleSet", "AWSManagedRulesKnownBadInputsRuleSet", "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesAmazonIpReputationList")] + [{"statement": {"rateBasedStatement": {"limit": 2000}}}]  # fmt: skip

# rule: (type, passing props, failing props, unset props)
RESOURCE_CASES: dict[str, tuple[str, dict[str, Any], dict[str, Any], dict[str, Any] | None]] = {
    "aurora-storage-encrypted-cmk": ("aws:rds/cluster:Cluster", {"storageEncrypted": True, "kmsKeyId": KEY},
                                     {"storageEncrypted": True, "kmsKeyId": "alias/aws/rds"}, {}),
    "cache-encrypted-at-rest-cmk": ("aws:elasticache/replicationGroup:ReplicationGroup",
                                    {"atRestEncryptionEnabled": True, "kmsKeyId": KEY}, {"atRestEncryptionEnabled": False}, {}),
    "msk-encrypted-at-rest-cmk": ("aws:msk/cluster:Cluster", {"encryptionInfo": {"encryptionAtRestKmsKeyArn": KEY}},
                                  {"encryptionInfo": {"encryptionAtRestKmsKeyArn": ""}}, {}),
    "ebs-encrypted-cmk": ("aws:ec2/launchTemplate:LaunchTemplate", LT_OK,
                          {"blockDeviceMappings": [{"deviceName": "/dev/xvda", "ebs": {"encrypted": "false"}}]}, {}),
    "secrets-cmk": ("aws:secretsmanager/secret:Secret", {"kmsKeyId": KEY}, {"kmsKeyId": ""}, {}),
    "log-groups-cmk": ("aws:cloudwatch/logGroup:LogGroup", {"kmsKeyId": KEY}, {"kmsKeyId": "alias/aws/logs"}, {}),
    "sns-cmk": ("aws:sns/topic:Topic", {"kmsMasterKeyId": KEY}, {"kmsMasterKeyId": "alias/aws/sns"}, {}),
    "ecr-cmk": ("aws:ecr/repository:Repository", {"encryptionConfigurations": [{"encryptionType": "KMS", "kmsKey": KEY}]},
                {"encryptionConfigurations": [{"encryptionType": "AES256"}]}, {}),
    "kms-key-rotation": ("aws:kms/key:Key", {"enableKeyRotation": True}, {"enableKeyRotation": False}, {}),
    "kms-key-deletion-window": ("aws:kms/key:Key", {"deletionWindowInDays": 30}, {"deletionWindowInDays": 7}, {}),
    "eks-secrets-encrypted-cmk": ("eks:index:Cluster", {"encryptionConfigKeyArn": KEY}, {"encryptionConfigKeyArn": ""}, {}),
    "backup-vault-cmk": ("aws:backup/vault:Vault", {"kmsKeyArn": KEY}, {"kmsKeyArn": ""}, {}),
    "performance-insights-cmk": ("aws:rds/clusterInstance:ClusterInstance",
                                 {"performanceInsightsEnabled": True, "performanceInsightsKmsKeyId": KEY},
                                 {"performanceInsightsEnabled": True, "performanceInsightsKmsKeyId": ""},
                                 {"performanceInsightsEnabled": True}),
    "cache-tls-required": ("aws:elasticache/replicationGroup:ReplicationGroup",
                           {"transitEncryptionEnabled": True, "transitEncryptionMode": "required"},
                           {"transitEncryptionEnabled": True, "transitEncryptionMode": "preferred"}, {}),
    "msk-tls-only": ("aws:msk/cluster:Cluster",
                     {"encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS", "inCluster": True}}},
                     {"encryptionInfo": {"encryptionInTransit": {"clientBroker": "TLS_PLAINTEXT", "inCluster": True}}}, {}),
    "aurora-force-ssl": ("aws:rds/clusterParameterGroup:ClusterParameterGroup",
                         {"family": "aurora-postgresql17", "parameters": [{"name": "rds.force_ssl", "value": "1"}]},
                         {"family": "aurora-postgresql17", "parameters": [{"name": "rds.force_ssl", "value": "0"}]},
                         {"family": "aurora-postgresql17"}),
    "https-listener-tls12": ("aws:lb/listener:Listener", {"protocol": "HTTPS", "certificateArn": "arn:cert",
                                                          "sslPolicy": "ELBSecurityPolicy-TLS13-1-2-2021-06"},
                             {"protocol": "HTTPS", "certificateArn": "arn:cert", "sslPolicy": "ELBSecurityPolicy-2016-08"},
                             {"protocol": "HTTPS", "certificateArn": "arn:cert"}),
    "http-listener-redirect-only": ("aws:lb/listener:Listener",
                                    {"protocol": "HTTP", "defaultActions": [{"type": "redirect", "redirect": {"protocol": "HTTPS"}}]},
                                    {"protocol": "HTTP", "defaultActions": [{"type": "forward"}]}, {"protocol": "HTTP"}),
    "target-group-https": ("aws:lb/targetGroup:TargetGroup",
                           {"targetType": "ip", "protocol": "HTTPS", "healthCheck": {"protocol": "HTTPS"}},
                           {"targetType": "ip", "protocol": "HTTP", "healthCheck": {"protocol": "HTTP"}},
                           {"targetType": "ip"}),
    "no-world-ingress": ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                         {"cidrIpv4": "0.0.0.0/0", "fromPort": 443, "toPort": 443, "ipProtocol": "tcp"},
                         {"cidrIpv4": "0.0.0.0/0", "fromPort": 22, "toPort": 22, "ipProtocol": "tcp"},
                         {"cidrIpv4": "0.0.0.0/0", "ipProtocol": "-1"}),
    "data-store-ingress-by-security-group": ("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
                                             {"referencedSecurityGroupId": "sg-1", "fromPort": 5432, "toPort": 5432, "ipProtocol": "tcp"},
                                             {"cidrIpv4": "10.0.0.0/8", "fromPort": 6379, "toPort": 6379, "ipProtocol": "tcp"},
                                             {"cidrIpv4": "10.0.0.0/8", "ipProtocol": "-1"}),
    "data-stores-not-public": ("aws:rds/clusterInstance:ClusterInstance", {"publiclyAccessible": False},
                               {"publiclyAccessible": True}, {}),
    "subnets-no-public-ip": ("aws:ec2/subnet:Subnet", {"mapPublicIpOnLaunch": False}, {"mapPublicIpOnLaunch": True}, {}),
    "eks-endpoint-private": ("eks:index:Cluster", {"endpointPublicAccess": False},
                             {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}, {}),
    "default-security-group-closed": ("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", {"ingress": [], "egress": []},
                                      {"ingress": [{"cidrBlocks": ["10.0.0.0/8"]}], "egress": []}, {}),
    "secret-policy-blocks-public": ("aws:secretsmanager/secretPolicy:SecretPolicy", {"blockPublicPolicy": True},
                                    {"blockPublicPolicy": False}, {}),
    "aurora-iam-auth": ("aws:rds/cluster:Cluster", {"iamDatabaseAuthenticationEnabled": True},
                        {"iamDatabaseAuthenticationEnabled": False}, {}),
    "no-plaintext-db-password": ("aws:rds/cluster:Cluster", {"manageMasterUserPassword": True},
                                 {"masterPassword": "hunter2"}, {}),
    "irsa-trust-one-service-account": ("aws:iam/role:Role", {"assumeRolePolicy": IRSA_TRUST},
                                       {"assumeRolePolicy": IRSA_TRUST.replace('"StringEquals"', '"StringLike"')},
                                       {"assumeRolePolicy": IRSA_TRUST.replace(', "Condition": {"StringEquals": {"oidc.eks/id/X:sub": "system:serviceaccount:payments:payments", "oidc.eks/id/X:aud": "sts.amazonaws.com"}}', "")}),
    "no-wildcard-admin-policy": ("aws:iam/rolePolicy:RolePolicy",
                                 {"policy": '{"Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}'},
                                 {"policy": '{"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}'},
                                 {"policy": '{"Statement": [{"Effect": "Allow", "Action": "iam:*"}]}'}),
    "imdsv2-required": ("aws:ec2/launchTemplate:LaunchTemplate", LT_OK,
                        {"metadataOptions": {"httpTokens": "optional", "httpPutResponseHopLimit": 1}}, {}),
    "cache-auth-required": ("aws:elasticache/replicationGroup:ReplicationGroup", {"authToken": "x" * 32},
                            {"authToken": ""}, {}),
    "msk-iam-auth-only": ("aws:msk/cluster:Cluster", {"clientAuthentication": {"sasl": {"iam": True}, "unauthenticated": False}},
                          {"clientAuthentication": {"sasl": {"iam": True}, "unauthenticated": True}}, {}),
    "cache-multi-az": ("aws:elasticache/replicationGroup:ReplicationGroup",
                       {"numCacheClusters": 2, "automaticFailoverEnabled": True, "multiAzEnabled": True},
                       {"numCacheClusters": 2, "automaticFailoverEnabled": False, "multiAzEnabled": True}, {}),
    "msk-multi-az": ("aws:msk/cluster:Cluster", {"brokerNodeGroupInfo": {"clientSubnets": ["a", "b", "c"]}},
                     {"brokerNodeGroupInfo": {"clientSubnets": ["a", "b"]}}, {}),
    "aurora-backup-retention": ("aws:rds/cluster:Cluster", {"backupRetentionPeriod": 14}, {"backupRetentionPeriod": 7}, {}),
    "cache-snapshot-retention": ("aws:elasticache/replicationGroup:ReplicationGroup", {"snapshotRetentionLimit": 7},
                                 {"snapshotRetentionLimit": 1}, {}),
    "deletion-protection": ("aws:rds/cluster:Cluster", {"deletionProtection": True}, {"deletionProtection": False}, {}),
    "aurora-final-snapshot": ("aws:rds/cluster:Cluster", {"skipFinalSnapshot": False, "finalSnapshotIdentifier": "x-final"},
                              {"skipFinalSnapshot": True}, {}),
    "eks-control-plane-logs": ("eks:index:Cluster",
                               {"enabledClusterLogTypes": ["api", "audit", "authenticator", "controllerManager", "scheduler"]},
                               {"enabledClusterLogTypes": ["api"]}, {}),
    "alb-access-logs": ("aws:lb/loadBalancer:LoadBalancer", {"accessLogs": {"enabled": True, "bucket": "b"}},
                        {"accessLogs": {"enabled": False, "bucket": "b"}}, {}),
    "msk-broker-logs": ("aws:msk/cluster:Cluster", {"loggingInfo": {"brokerLogs": {"cloudwatchLogs": {"enabled": True}}}},
                        {"loggingInfo": {"brokerLogs": {"cloudwatchLogs": {"enabled": False}}}}, {}),
    "aurora-log-export": ("aws:rds/cluster:Cluster", {"enabledCloudwatchLogsExports": ["postgresql"]},
                          {"enabledCloudwatchLogsExports": []}, {}),
    "log-retention": ("aws:cloudwatch/logGroup:LogGroup", {"retentionInDays": 365}, {"retentionInDays": 30}, {}),
    "waf-managed-rule-groups": ("aws:wafv2/webAcl:WebAcl", {"rules": WAF_RULES}, {"rules": WAF_RULES[1:]}, {}),
    "waf-rate-rule": ("aws:wafv2/webAcl:WebAcl", {"rules": WAF_RULES},
                      {"rules": [*WAF_RULES[:4], {"statement": {"rateBasedStatement": {"limit": 50000}}}]}, {}),
    "required-tags": ("aws:ec2/vpc:Vpc", {"tags": TAGS}, {"tags": {**TAGS, "owner": " "}}, {}),
    "hpa-minimum-replicas": ("kubernetes:autoscaling/v2:HorizontalPodAutoscaler", {"spec": {"minReplicas": 3}},
                             {"spec": {"minReplicas": 2}}, {}),
    "namespace-pod-security-restricted": ("kubernetes:core/v1:Namespace",
                                          {"metadata": {"name": "payments", "labels": {"pod-security.kubernetes.io/enforce": "restricted"}}},
                                          {"metadata": {"name": "payments", "labels": {"pod-security.kubernetes.io/enforce": "baseline"}}},
                                          {"metadata": {"name": "payments"}}),
    "eks-standard-support-only": ("eks:index:Cluster", {"upgradePolicy": {"supportType": "STANDARD"}},
                                  {"upgradePolicy": {"supportType": "EXTENDED"}}, {}),
    "instance-classes-in-tier": ("aws:eks/nodeGroup:NodeGroup", {"instanceTypes": ["m7g.large"]},
                                 {"instanceTypes": ["p5.48xlarge"]}, {}),
}  # fmt: skip
RESOURCE_CASES |= audit_logging_cases.RESOURCE_CASES
RESOURCE_CASES |= compliance_cases.RESOURCE_CASES
RESOURCE_CASES |= region_pair_cases.RESOURCE_CASES
RESOURCE_CASES |= region_switch_cases.RESOURCE_CASES
RESOURCE_CASES |= observability_cases.RESOURCE_CASES
RESOURCE_CASES |= grafana_cases.RESOURCE_CASES


VIS = {"cloudwatchMetricsEnabled": True, "sampledRequestsEnabled": True}
KEY_POLICY_OK = json.dumps(
    {
        "Statement": [
            {
                "Sid": "Admin",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::1:root"},
                "Action": ["kms:CreateAlias", "kms:Describe*"],
                "Resource": "*",
            },
            {
                "Sid": "Use",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::1:root"},
                "Action": ["kms:Decrypt"],
                "Resource": "*",
                "Condition": {"StringEquals": {"kms:ViaService": "rds.us-east-1.amazonaws.com"}},
            },
            {
                "Sid": "Grants",
                "Effect": "Allow",
                "Principal": {"AWS": "arn:aws:iam::1:root"},
                "Action": ["kms:CreateGrant"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:ViaService": "rds.us-east-1.amazonaws.com"},
                    "Bool": {"kms:GrantIsForAWSResource": "true"},
                },
            },
        ]
    }
)
KEY_POLICY_ADMIN_CREATE = KEY_POLICY_OK.replace('"kms:CreateAlias"', '"kms:Create*"')
DENY_TLS = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:*",
    "Resource": "*",
    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
}
DENY_ACCOUNTS = {
    "Effect": "Deny",
    "Principal": "*",
    "Action": "secretsmanager:*",
    "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:PrincipalAccount": "1"}},
}
SERVICE_TRUST = {"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"}, "Action": "sts:AssumeRole"}
WORKLOAD: dict[str, Any] = {
    "securityContext": {"uid": 10001},
    "config": {
        "REDIS_HOST": "h",
        "REDIS_TLS": "true",
        "DB_HOST": "d",
        "DB_SSLMODE": "verify-full",
        "DB_IAM_AUTH": "true",
        "KAFKA_BOOTSTRAP_SERVERS": "b",
        "KAFKA_SECURITY": "SASL_SSL/AWS_MSK_IAM",
    },
    "networkPolicy": {"dataStores": [{"name": "cache", "port": 6379, "cidrs": ["10.0.1.0/24"]}]},
    "exposure": {"albSourceCidrs": ["10.0.0.0/24"]},
}
AUDIT_PARAMS = [
    {"name": "log_connections", "value": "1"},
    {"name": "log_disconnections", "value": "1"},
    {"name": "shared_preload_libraries", "value": "pg_stat_statements,pgaudit"},
    {"name": "pgaudit.log", "value": "ddl,role"},
    {"name": "log_statement", "value": "ddl"},
]
RESOURCE_CASES |= {
    "alb-request-hygiene": (
        "aws:lb/loadBalancer:LoadBalancer",
        {"dropInvalidHeaderFields": True, "desyncMitigationMode": "strictest"},
        {"dropInvalidHeaderFields": True, "desyncMitigationMode": "defensive"},
        {},
    ),
    "waf-rules-enforced": (
        "aws:wafv2/webAcl:WebAcl",
        {
            "rules": [
                {
                    "name": "m",
                    "statement": {"managedRuleGroupStatement": {"name": "X"}},
                    "overrideAction": {"none": {}},
                },
                {"name": "r", "statement": {"rateBasedStatement": {"limit": 2000}}, "action": {"block": {}}},
            ]
        },
        {
            "rules": [
                {
                    "name": "m",
                    "statement": {"managedRuleGroupStatement": {"name": "X"}},
                    "overrideAction": {"count": {}},
                }
            ]
        },
        {"rules": [{"name": "r", "statement": {"rateBasedStatement": {"limit": 2000}}}]},
    ),
    "waf-visibility": (
        "aws:wafv2/webAcl:WebAcl",
        {"visibilityConfig": VIS, "rules": [{"name": "r", "visibilityConfig": VIS}]},
        {
            "visibilityConfig": VIS,
            "rules": [{"name": "r", "visibilityConfig": {**VIS, "sampledRequestsEnabled": False}}],
        },
        {},
    ),
    "waf-logs-redact-credentials": (
        "aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration",
        {"redactedFields": [{"singleHeader": {"name": "authorization"}}, {"singleHeader": {"name": "cookie"}}]},
        {"redactedFields": [{"singleHeader": {"name": "authorization"}}]},
        {},
    ),
    "kms-admins-cannot-use": ("aws:kms/key:Key", {"policy": KEY_POLICY_OK}, {"policy": KEY_POLICY_ADMIN_CREATE}, {}),
    "resource-policies-deny-insecure-transport": (
        "aws:s3/bucketPolicy:BucketPolicy",
        {"policy": json.dumps({"Statement": [DENY_TLS]})},
        {"policy": json.dumps({"Statement": [{**DENY_TLS, "Effect": "Allow"}]})},
        {},
    ),
    "secret-policy-account-only": (
        "aws:secretsmanager/secretPolicy:SecretPolicy",
        {"policy": json.dumps({"Statement": [DENY_ACCOUNTS]})},
        {"policy": json.dumps({"Statement": [{**DENY_ACCOUNTS, "Principal": {"AWS": "arn:aws:iam::2:root"}}]})},
        {},
    ),
    "service-principals-pinned": (
        "aws:iam/role:Role",
        {
            "assumeRolePolicy": json.dumps(
                {"Statement": [{**SERVICE_TRUST, "Condition": {"StringEquals": {"aws:SourceAccount": "1"}}}]}
            )
        },
        {
            "assumeRolePolicy": json.dumps(
                {"Statement": [{**SERVICE_TRUST, "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}]}
            )
        },
        {"assumeRolePolicy": json.dumps({"Statement": [SERVICE_TRUST]})},
    ),
    "eks-version-supported": ("eks:index:Cluster", {"version": "1.35"}, {"version": "1.31"}, {}),
    "aurora-engine-supported": (
        "aws:rds/cluster:Cluster",
        {"engine": "aurora-postgresql", "engineVersion": "17.7"},
        {"engine": "aurora-postgresql", "engineVersion": "13.20"},
        {"engine": "aurora-postgresql"},
    ),
    "cache-minor-upgrades": (
        "aws:elasticache/replicationGroup:ReplicationGroup",
        {"autoMinorVersionUpgrade": True},
        {"autoMinorVersionUpgrade": False},
        {},
    ),
    "ecr-images-immutable-scanned": (
        "aws:ecr/repository:Repository",
        {"imageTagMutability": "IMMUTABLE", "imageScanningConfiguration": {"scanOnPush": True}},
        {"imageTagMutability": "MUTABLE", "imageScanningConfiguration": {"scanOnPush": True}},
        {},
    ),
    "cache-final-snapshot": (
        "aws:elasticache/replicationGroup:ReplicationGroup",
        {"finalSnapshotIdentifier": "c-final"},
        {"finalSnapshotIdentifier": ""},
        {},
    ),
    "secret-recovery-window": (
        "aws:secretsmanager/secret:Secret",
        {"recoveryWindowInDays": 30},
        {"recoveryWindowInDays": 0},
        None,
    ),
    "backup-vault-lock-retention": (
        "aws:backup/vaultLockConfiguration:VaultLockConfiguration",
        {"minRetentionDays": 7},
        {"minRetentionDays": 1},
        {},
    ),
    "backup-plan-retention": (
        "aws:backup/plan:Plan",
        {"rules": [{"ruleName": "d", "lifecycle": {"deleteAfter": 35}}]},
        {
            "rules": [
                {"ruleName": "d", "lifecycle": {"deleteAfter": 35}, "copyActions": [{"lifecycle": {"deleteAfter": 7}}]}
            ]
        },
        None,
    ),
    "s3-no-force-destroy": ("aws:s3/bucket:Bucket", {"forceDestroy": False}, {"forceDestroy": True}, None),
    "aurora-audit-logging": (
        "aws:rds/clusterParameterGroup:ClusterParameterGroup",
        {"family": "aurora-postgresql17", "parameters": AUDIT_PARAMS},
        {
            "family": "aurora-postgresql17",
            "parameters": [*AUDIT_PARAMS[:3], {"name": "pgaudit.log", "value": "none"}, AUDIT_PARAMS[4]],
        },
        {"family": "aurora-postgresql17"},
    ),
    "codebuild-runner-hardened": (
        "aws:codebuild/project:Project",
        {
            "environment": {"privilegedMode": False},
            "logsConfig": {"cloudwatchLogs": {"status": "ENABLED"}},
            "encryptionKey": "arn:aws:kms:us-east-1:111122223333:key/k",
        },
        {
            "environment": {"privilegedMode": True},
            "logsConfig": {"cloudwatchLogs": {"status": "ENABLED"}},
            "encryptionKey": "arn:aws:kms:us-east-1:111122223333:key/k",
        },
        {},
    ),
    "cache-logs-delivered": (
        "aws:elasticache/replicationGroup:ReplicationGroup",
        {"logDeliveryConfigurations": [{"logType": "slow-log"}, {"logType": "engine-log"}]},
        {"logDeliveryConfigurations": [{"logType": "slow-log"}]},
        {},
    ),
    "alarms-notify": (
        "aws:cloudwatch/metricAlarm:MetricAlarm",
        {"alarmActions": ["arn:sns"]},
        {"alarmActions": ["arn:sns"], "actionsEnabled": False},
        {},
    ),
    "aurora-ca-current": (
        "aws:rds/clusterInstance:ClusterInstance",
        {"caCertIdentifier": "rds-ca-rsa2048-g1"},
        {"caCertIdentifier": "rds-ca-2019"},
        {},
    ),
    "msk-deny-by-default": (
        "aws:msk/configuration:Configuration",
        {"serverProperties": "allow.everyone.if.no.acl.found=false\nunclean.leader.election.enable=false"},
        {"serverProperties": "allow.everyone.if.no.acl.found=true\nunclean.leader.election.enable=false"},
        {},
    ),
    "eks-api-access": (
        "eks:index:Cluster",
        {"endpointPrivateAccess": True, "authenticationMode": "API"},
        {"endpointPrivateAccess": True, "authenticationMode": "API_AND_CONFIG_MAP"},
        {},
    ),
    "network-policies-enforced": (
        "aws:eks/addon:Addon",
        {"addonName": "vpc-cni", "configurationValues": '{"enableNetworkPolicy": "true"}'},
        {"addonName": "vpc-cni", "configurationValues": '{"enableNetworkPolicy": "false"}'},
        {"addonName": "vpc-cni"},
    ),
    "workload-runs-as-non-root": (
        "kubernetes:helm.sh/v4:Chart",
        {"values": WORKLOAD},
        {"values": {**WORKLOAD, "securityContext": {"uid": 0}}},
        {"values": {**WORKLOAD, "securityContext": {}}},
    ),
    "workload-clients-secure": (
        "kubernetes:helm.sh/v4:Chart",
        {"values": WORKLOAD},
        {"values": {**WORKLOAD, "config": {**WORKLOAD["config"], "DB_SSLMODE": "require"}}},
        {"values": {**WORKLOAD, "config": {"REDIS_HOST": "h"}}},
    ),
    "workload-network-narrow": (
        "kubernetes:helm.sh/v4:Chart",
        {"values": WORKLOAD},
        {"values": {**WORKLOAD, "exposure": {"albSourceCidrs": ["0.0.0.0/1", "128.0.0.0/1"]}}},
        None,
    ),
}
CACHE_USER = "aws:elasticache/user:User"
RESOURCE_CASES |= {
    "cache-users-iam-auth": (
        CACHE_USER,
        {
            "userName": "payments",
            "authenticationMode": {"type": "iam"},
            "accessString": "on ~payments:* +@all -@dangerous",
        },
        {"userName": "default", "authenticationMode": {"type": "no-password-required"}, "accessString": "on ~* +@all"},
        {"userName": "payments", "accessString": "on ~payments:* +@all -@dangerous"},
    ),
    "cache-users-least-privilege": (
        CACHE_USER,
        {"userName": "payments", "accessString": "on ~payments:* +@all -@dangerous"},
        {"userName": "payments", "accessString": "on ~* +@all -@dangerous"},
        {"userName": "payments", "accessString": "on ~payments:* +@all"},
    ),
}
RESOURCE_CASES["guardduty-findings-prompt"] = (
    "aws:guardduty/detector:Detector",
    {"findingPublishingFrequency": "FIFTEEN_MINUTES"},
    {"findingPublishingFrequency": "ONE_HOUR"},
    {},
)
UNSET_IS_SAFE = {
    "backup-plan-retention": "a rule without lifecycle keeps recovery points forever",
    "s3-no-force-destroy": "forceDestroy defaults to false",
    "secret-recovery-window": "Secrets Manager's default recovery window is 30 days, the prod minimum",
    "workload-network-narrow": "no CIDR listed admits no peer",
}
"""Rules whose property, left unset, takes the safe value (AWS's or the chart's default): the unset case passes."""


def _view(type_token: str, props: dict[str, Any], **extra: Any) -> ResourceView:
    return ResourceView(type=type_token, name="r", urn=f"urn:pulumi:s::p::{type_token}::r", props=props, **extra)


@pytest.mark.parametrize("name", sorted(RESOURCE_CASES))
def test_resource_rule_passes(name: str) -> None:
    type_token, passing, _, _ = RESOURCE_CASES[name]
    assert RULES[name].evaluate(_view(type_token, passing), {}) == []


@pytest.mark.parametrize("name", sorted(RESOURCE_CASES))
def test_resource_rule_fails_explicitly(name: str) -> None:
    type_token, _, failing, _ = RESOURCE_CASES[name]
    assert RULES[name].evaluate(_view(type_token, failing), {})


@pytest.mark.parametrize("name", sorted(RESOURCE_CASES))
def test_resource_rule_fails_by_default(name: str) -> None:
    type_token, _, _, unset = RESOURCE_CASES[name]
    if unset is None:
        assert name in UNSET_IS_SAFE
        assert RULES[name].evaluate(_view(type_token, {}), {}) == []
    else:
        assert RULES[name].evaluate(_view(type_token, unset), {})


# Stack rules: (passing stack, failing stack, failing-by-default stack), each a list of views.


VPC = _r("aws:ec2/vpc:Vpc", "vpc")
BUCKET = _r("aws:s3/bucket:Bucket", "logs")
ALB = _r("aws:lb/loadBalancer:LoadBalancer", "alb", {"internal": False})
ACL = _r("aws:wafv2/webAcl:WebAcl", "acl")
CLUSTER = _r("aws:rds/cluster:Cluster", "db")
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"


def _sse(algorithm: str, key: str | None = KEY) -> ResourceView:
    default = {"sseAlgorithm": algorithm, **({"kmsMasterKeyId": key} if key and algorithm == "aws:kms" else {})}
    return _r(SSE, "logs", {"rules": [{"applyServerSideEncryptionByDefault": default}]}, {"bucket": [BUCKET.urn]})


def _instance(name: str, zone: str) -> ResourceView:
    return _r("aws:rds/clusterInstance:ClusterInstance", name, {"availabilityZone": zone},
              {"clusterIdentifier": [CLUSTER.urn]})  # fmt: skip


def _private_layout(route_to_igw: bool) -> list[ResourceView]:
    igw = _r("aws:ec2/internetGateway:InternetGateway", "igw")
    table = _r("aws:ec2/routeTable:RouteTable", "db-rt")
    subnet = _r("aws:ec2/subnet:Subnet", "db-a", {"mapPublicIpOnLaunch": False})
    layout = [igw, table, subnet,
              _r("aws:ec2/routeTableAssociation:RouteTableAssociation", "a", {}, {"routeTableId": [table.urn],
                                                                                  "subnetId": [subnet.urn]}),
              _r("aws:rds/subnetGroup:SubnetGroup", "db", {}, {"subnetIds": [subnet.urn]})]  # fmt: skip
    if route_to_igw:
        layout.append(_r("aws:ec2/route:Route", "r", {"destinationCidrBlock": "0.0.0.0/0"},
                         {"routeTableId": [table.urn], "gatewayId": [igw.urn]}))  # fmt: skip
    return layout


def _backup_layout(copy: bool) -> list[ResourceView]:
    """A cluster selected by a Backup plan whose rule copies to a DR vault (or has no copy action)."""
    rule = {"ruleName": "daily", "copyActions": [{"destinationVaultArn": "arn:aws:backup:us-west-2:1:vault:dr"}]}
    plan = _r("aws:backup/plan:Plan", "plan", {"rules": [rule if copy else {"ruleName": "daily"}]})
    selection = _r("aws:backup/selection:Selection", "sel", {}, {"planId": [plan.urn], "resources": [CLUSTER.urn]})
    return [CLUSTER, plan, selection]


SG = "urn:pulumi:s::p::aws:ec2/securityGroup:SecurityGroup::sg"


def _ingress(name: str, cidr: str, port: int | None) -> ResourceView:
    """One SecurityGroupIngressRule of the security group SG; port None admits every protocol and port."""
    props: dict[str, Any] = {"cidrIpv4": cidr, "ipProtocol": "-1"}
    if port is not None:
        props = {"cidrIpv4": cidr, "fromPort": port, "toPort": port, "ipProtocol": "tcp"}
    return _r("aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", name, props, {"securityGroupId": [SG]})


PUBLIC_ACCESS = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
ALL_BLOCKED = {
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}
STACK_CASES: dict[str, tuple[list[ResourceView], list[ResourceView], list[ResourceView]]] = {
    "s3-buckets-encrypted": (
        [BUCKET, _sse("aws:kms")], [BUCKET, _sse("AES256")], [BUCKET]),
    "data-stores-in-private-subnets": (_private_layout(False), _private_layout(True),
                                       [*_private_layout(False)[:2],
                                        _r("aws:ec2/subnet:Subnet", "db-a", {"mapPublicIpOnLaunch": True}),
                                        *_private_layout(False)[3:]]),
    "default-security-group-managed": (
        [VPC, _r("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "d", {}, {"vpcId": [VPC.urn]})],
        [VPC, _r("aws:ec2/defaultSecurityGroup:DefaultSecurityGroup", "d", {}, {"vpcId": ["urn:other"]})], [VPC]),
    "s3-public-access-blocked": (
        [BUCKET, _r(PUBLIC_ACCESS, "b", ALL_BLOCKED, {"bucket": [BUCKET.urn]})],
        [BUCKET, _r(PUBLIC_ACCESS, "b", {**ALL_BLOCKED, "restrictPublicBuckets": False}, {"bucket": [BUCKET.urn]})],
        [BUCKET]),
    "aurora-multi-az": ([CLUSTER, _instance("i0", "a"), _instance("i1", "b")],
                        [CLUSTER, _instance("i0", "a"), _instance("i1", "a")], [CLUSTER]),
    "nat-per-az": ([VPC, *[_r("aws:ec2/natGateway:NatGateway", f"n{i}") for i in range(3)]],
                   [VPC, _r("aws:ec2/natGateway:NatGateway", "n0")], [VPC]),
    "stateful-resources-protected": ([_r("aws:kms/key:Key", "k", protect=True)], [_r("aws:kms/key:Key", "k")],
                                     [_r("aws:eks/cluster:Cluster", "c")]),
    "vpc-flow-logs": ([VPC, _r("aws:ec2/flowLog:FlowLog", "f", {"trafficType": "ALL"}, {"vpcId": [VPC.urn]})],
                      [VPC, _r("aws:ec2/flowLog:FlowLog", "f", {"trafficType": "REJECT"}, {"vpcId": [VPC.urn]})], [VPC]),
    "waf-logging": (
        [ACL, _r("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "l", {}, {"resourceArn": [ACL.urn]})],
        [ACL, _r("aws:wafv2/webAclLoggingConfiguration:WebAclLoggingConfiguration", "l", {}, {"resourceArn": ["urn:x"]})],
        [ACL]),
    "alb-has-waf": (
        [ALB, _r("aws:wafv2/webAclAssociation:WebAclAssociation", "a", {}, {"resourceArn": [ALB.urn]})],
        [ALB, _r("aws:wafv2/webAclAssociation:WebAclAssociation", "a", {}, {"resourceArn": ["urn:x"]})],
        [_r("aws:lb/loadBalancer:LoadBalancer", "alb")]),
    "aurora-cross-region-backup": (_backup_layout(copy=True), _backup_layout(copy=False),
                                   [CLUSTER, _r("aws:backup/plan:Plan", "plan", {"rules": [{"copyActions": [
                                       {"destinationVaultArn": "arn:dr"}]}]})]),
    "no-world-ingress-combined": (
        [_ingress("a", "0.0.0.0/1", 443), _ingress("b", "128.0.0.0/1", 443), _ingress("c", "0.0.0.0/1", 22)],
        [_ingress("a", "0.0.0.0/1", 22), _ingress("b", "128.0.0.0/1", 22)],
        [_ingress("a", "0.0.0.0/1", None), _ingress("b", "128.0.0.0/1", None)]),
}  # fmt: skip

ALB_SG = _r("aws:ec2/securityGroup:SecurityGroup", "alb-sg")
OTHER_SG = _r("aws:ec2/securityGroup:SecurityGroup", "db-sg")
ALB_WITH_SG = _r("aws:lb/loadBalancer:LoadBalancer", "alb", {"internal": False}, {"securityGroups": [ALB_SG.urn]})
INGRESS = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule"


def _web_ingress(name: str, cidr: str, group: ResourceView | None, port: int = 443) -> ResourceView:
    key = "cidrIpv6" if ":" in cidr else "cidrIpv4"
    deps = {"securityGroupId": [group.urn]} if group else {}
    return _r(INGRESS, name, {key: cidr, "fromPort": port, "toPort": port, "ipProtocol": "tcp"}, deps)


OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
STACK_CASES |= {
    "internet-ports-only-on-alb": ([ALB_SG, OTHER_SG, ALB_WITH_SG, _web_ingress("i", "0.0.0.0/0", ALB_SG)],
                                   [ALB_SG, OTHER_SG, ALB_WITH_SG, _web_ingress("i", "0.0.0.0/0", OTHER_SG)],
                                   [ALB_SG, ALB_WITH_SG, _web_ingress("i", "0.0.0.0/0", None)]),
    "s3-object-ownership-enforced": ([BUCKET, _r(OWNERSHIP, "o", {"rule": {"objectOwnership": "BucketOwnerEnforced"}}, {"bucket": [BUCKET.urn]})],
                                     [BUCKET, _r(OWNERSHIP, "o", {"rule": {"objectOwnership": "ObjectWriter"}}, {"bucket": [BUCKET.urn]})],
                                     [BUCKET]),
}  # fmt: skip


def test_internet_ports_rule_knows_which_group_and_pools_cidrs() -> None:
    rule = RULES["internet-ports-only-on-alb"]
    base = [ALB_SG, OTHER_SG, ALB_WITH_SG]
    halves = [_web_ingress("a", "0.0.0.0/1", OTHER_SG), _web_ingress("b", "128.0.0.0/1", OTHER_SG)]
    assert rule.evaluate_stack([*base, *halves], {})
    assert rule.evaluate_stack([*base, halves[0]], {}) == []  # half the internet is not the internet
    assert rule.evaluate_stack([*base, _web_ingress("v6", "::/0", OTHER_SG)], {})
    assert rule.evaluate_stack([*base, _web_ingress("port", "0.0.0.0/0", OTHER_SG, port=80)], {})
    assert rule.evaluate_stack([*base, _web_ingress("vpc", "10.0.0.0/8", OTHER_SG)], {}) == []
    internal = _r("aws:lb/loadBalancer:LoadBalancer", "alb", {"internal": True}, {"securityGroups": [ALB_SG.urn]})
    assert rule.evaluate_stack([ALB_SG, internal, _web_ingress("i", "0.0.0.0/0", ALB_SG)], {})
    inline = _r("aws:ec2/securityGroup:SecurityGroup", "inline", {"ingress": [
        {"protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrBlocks": ["0.0.0.0/0"]}]})  # fmt: skip
    assert rule.evaluate_stack([*base, inline], {})


def test_kms_rule_accepts_the_service_grants_and_refuses_admin_use() -> None:
    rule = RULES["kms-admins-cannot-use"]
    policy = json.loads(KEY_POLICY_OK)
    wildcard = {**policy, "Statement": [{**policy["Statement"][0], "Action": "kms:*"}, *policy["Statement"][1:]]}
    assert rule.evaluate(_view("aws:kms/key:Key", {"policy": json.dumps(wildcard)}), {})
    no_flag = json.loads(KEY_POLICY_OK)
    del no_flag["Statement"][2]["Condition"]["Bool"]
    messages = rule.evaluate(_view("aws:kms/key:Key", {"policy": json.dumps(no_flag)}), {})
    assert messages and "GrantIsForAWSResource" in messages[0]


STACK_CASES |= audit_logging_cases.STACK_CASES
STACK_CASES |= region_pair_cases.STACK_CASES
STACK_CASES |= region_switch_cases.STACK_CASES
STACK_CASES |= compliance_cases.STACK_CASES
STACK_CASES |= observability_cases.STACK_CASES
STACK_CASES |= credential_rotation_cases.STACK_CASES


@pytest.mark.parametrize("name", sorted(STACK_CASES))
def test_stack_rule_cases(name: str) -> None:
    passing, failing, unset = STACK_CASES[name]
    rule = RULES[name]
    assert rule.evaluate_stack(passing, {}) == []
    assert rule.evaluate_stack(failing, {})
    if name in UNSET_IS_SAFE:
        assert rule.evaluate_stack(unset, {}) == []
    else:
        assert rule.evaluate_stack(unset, {})


def test_every_rule_has_cases_and_metadata() -> None:
    assert set(RESOURCE_CASES) | set(STACK_CASES) == set(RULES)
    for rule in ALL_RULES:
        assert rule.description and rule.remediation and rule.pci_requirement
        assert (rule.check is None) != (rule.stack_check is None)
        assert rule.to_policy().name == rule.name


def test_at_least_forty_rules_over_every_area() -> None:
    areas = {rule.area for rule in ALL_RULES}
    assert len(ALL_RULES) >= 40
    assert areas == {"encryption-at-rest", "encryption-in-transit", "exposure", "identity", "resilience", "logging",
                     "waf", "tagging", "kubernetes", "cost", "patching", "compliance"}  # fmt: skip


def test_bucket_encryption_with_the_aws_managed_key_fails() -> None:
    rule = RULES["s3-buckets-encrypted"]
    assert rule.evaluate_stack([BUCKET, _sse("aws:kms")], {}) == []
    messages = rule.evaluate_stack([BUCKET, _sse("aws:kms", key=None)], {})
    assert messages and "AWS-managed key" in messages[0][1]


def test_force_destroy_is_refused_unless_the_tier_relaxes_it() -> None:
    rule = RULES["s3-no-force-destroy"]
    bucket = _view("aws:s3/bucket:Bucket", {"forceDestroy": True})
    assert rule.evaluate(bucket, {}) and rule.evaluate(bucket, {"required": False}) == []


def test_sse_s3_is_accepted_only_on_the_alb_log_bucket() -> None:
    rule = RULES["s3-buckets-encrypted"]
    alb = _r("aws:lb/loadBalancer:LoadBalancer", "alb", {"accessLogs": {"enabled": True}}, {"accessLogs": [BUCKET.urn]})
    assert rule.evaluate_stack([BUCKET, _sse("AES256"), alb], {}) == []
    assert rule.evaluate_stack([BUCKET, _sse("AES256"), alb], {"allowSseS3ForAlbLogs": False})


def test_both_eks_shapes_are_judged_alike() -> None:
    rule = RULES["eks-endpoint-private"]
    component = _view("eks:index:Cluster", {"endpointPublicAccess": True, "publicAccessCidrs": ["203.0.113.0/24"]})
    child = _view("aws:eks/cluster:Cluster", {"vpcConfig": {"endpointPublicAccess": True,
                                                            "publicAccessCidrs": ["203.0.113.0/24"]}})  # fmt: skip
    relaxed = {"requirePrivateEndpoint": False}
    assert rule.evaluate(component, relaxed) == rule.evaluate(child, relaxed) == []
    assert rule.evaluate(component, {}) and rule.evaluate(child, {})
    open_child = _view("aws:eks/cluster:Cluster", {"vpcConfig": {"endpointPublicAccess": True}})
    assert "open to ['0.0.0.0/0']" in " ".join(rule.evaluate(open_child, relaxed))
    logs = RULES["eks-control-plane-logs"]
    assert logs.evaluate(_view("aws:eks/cluster:Cluster", {"enabledClusterLogTypes": ["api"]}), {})
    secrets = RULES["eks-secrets-encrypted-cmk"]
    encrypted = {"encryptionConfig": {"provider": {"keyArn": KEY}, "resources": ["secrets"]}}
    assert secrets.evaluate(_view("aws:eks/cluster:Cluster", encrypted), {}) == []
    assert secrets.evaluate(_view("aws:eks/cluster:Cluster", {}), {})


def test_an_unknown_value_neither_crashes_nor_passes() -> None:
    rule = RULES["aurora-storage-encrypted-cmk"]
    props = unknown_checking_proxy({"storageEncrypted": True, "kmsKeyId": UNKNOWN_STRING_VALUE})
    with pytest.raises(UnknownValueError):
        rule.evaluate(_view("aws:rds/cluster:Cluster", props), {})


def test_rules_ignore_other_types() -> None:
    rule: Rule = RULES["kms-key-rotation"]
    assert rule.evaluate(_view("aws:s3/bucket:Bucket", {}), {}) == []


@pytest.mark.parametrize(
    "cidrs",
    [["0.0.0.0/1", "128.0.0.0/1"], ["0.0.0.0/2", "64.0.0.0/2", "128.0.0.0/1"], ["::/1", "8000::/1"]],
)
def test_cidrs_that_together_cover_the_internet_are_as_open_as_slash_zero(cidrs: list[str]) -> None:
    ingress = _view("aws:ec2/securityGroup:SecurityGroup",
                    {"ingress": [{"cidrBlocks": [c for c in cidrs if ":" not in c],
                                  "ipv6CidrBlocks": [c for c in cidrs if ":" in c],
                                  "fromPort": 22, "toPort": 22, "protocol": "tcp"}]})  # fmt: skip
    assert "port(s) 22" in " ".join(RULES["no-world-ingress"].evaluate(ingress, {}))
    eks = _view("eks:index:Cluster", {"endpointPublicAccess": True, "publicAccessCidrs": cidrs})
    assert "cover the internet" in " ".join(
        RULES["eks-endpoint-private"].evaluate(eks, {"requirePrivateEndpoint": False})
    )


def test_cidrs_that_leave_a_gap_are_not_the_internet() -> None:
    partial = ["0.0.0.0/1", "128.0.0.0/2"]
    ingress = _view(
        "aws:ec2/securityGroup:SecurityGroup",
        {"ingress": [{"cidrBlocks": partial, "fromPort": 22, "toPort": 22, "protocol": "tcp"}]},
    )
    assert RULES["no-world-ingress"].evaluate(ingress, {}) == []
    eks = _view("eks:index:Cluster", {"endpointPublicAccess": True, "publicAccessCidrs": partial})
    assert RULES["eks-endpoint-private"].evaluate(eks, {"requirePrivateEndpoint": False}) == []


def test_split_rules_on_different_ports_do_not_add_up() -> None:
    rule = RULES["no-world-ingress-combined"]
    assert rule.evaluate_stack([_ingress("a", "0.0.0.0/1", 22), _ingress("b", "128.0.0.0/1", 5432)], {}) == []


def test_target_group_rule_catches_each_weakening_alone() -> None:
    """HTTPS traffic with an HTTP (or unset, i.e. HTTP) health check fails, as does HTTP traffic with HTTPS checks;
    lambda targets (no protocol) are not judged."""
    rule = RULES["target-group-https"]
    https_check = {"protocol": "HTTPS"}
    cases = {
        "http health check": {"targetType": "ip", "protocol": "HTTPS", "healthCheck": {"protocol": "HTTP"}},
        "unset health check": {"targetType": "ip", "protocol": "HTTPS", "healthCheck": {"path": "/healthz/ready"}},
        "http traffic": {"targetType": "ip", "protocol": "HTTP", "healthCheck": https_check},
    }
    for label, props in cases.items():
        assert len(rule.evaluate(_view("aws:lb/targetGroup:TargetGroup", props), {})) == 1, label
    assert rule.evaluate(_view("aws:lb/targetGroup:TargetGroup", {"targetType": "lambda"}), {}) == []
