"""The PCI DSS v4.0.1 requirement catalogue this platform is assessed against, and why a requirement is procedural.

Scope: every defined requirement of principal requirements 1-4, 6-8 and 10-12. Requirement 5 (anti-malware on
system components) and 9 (physical access) are outside the platform's code: the nodes are EKS-managed hosts whose
malware protection is GuardDuty Runtime Monitoring (rule guardduty-eks-protection), and AWS carries requirement 9
for its data centres (AWS PCI DSS Attestation of Compliance, AWS Artifact).

IDs and their number (250 defined requirements overall) are those of PCI DSS v4.0, which v4.0.1 (June 2024, the only
active version since 1 January 2025) keeps: "There are no additional or deleted requirements in this revision"
(PCI SSC, "Just Published: PCI DSS v4.0.1"; Summary of Changes from PCI DSS v4.0 to v4.0.1). The titles are short
paraphrases written here, not the standard's text; read the standard for the requirement itself.

A requirement's status in the coverage matrix (offline/compliance.py) is derived: `plan` when a pack rule cites it,
`live` when only an account check does, otherwise `procedural` with the reason given here. A requirement that is
neither cited nor explained fails tests/test_compliance.py, so a rule removed or re-mapped cannot leave a silent gap.
"""

from __future__ import annotations

from dataclasses import dataclass

PCI_DSS = "PCI DSS"
PCI_DSS_VERSION = "4.0.1"
IN_SCOPE_PRINCIPALS = (1, 2, 3, 4, 6, 7, 8, 10, 11, 12)
"""Principal requirements assessed here (5 and 9: see the module docstring)."""

_POLICY = "documented policies and procedures kept by the security team, reviewed by the assessor as documents"
_ROLES = "roles and responsibilities are an organizational assignment (RACI), not infrastructure"
_WIRELESS = "the platform has no wireless network; AWS operates the physical network"
_PEOPLE = "a human process (reviews, approvals, training or screening) evidenced by records, not by code"
_NO_PAN_DISPLAY = "the platform's workloads handle display and storage of PAN in application code, outside this IaC"
_APP = "application (bespoke software) life cycle of the workloads' own repositories, outside this IaC"
_SP = "applies to service providers only; assessed with the entity's service-provider status"
_SCANS = "vulnerability scans and penetration tests are run by the security team or an ASV and kept as reports"
_KEY_MGMT = (
    "AWS KMS generates, stores and distributes keys in FIPS-validated HSMs (AWS PCI DSS AOC); the "
    "key-management procedure itself is a document"
)
_TIME = (
    "AWS provides time synchronization (Amazon Time Sync Service) to EC2 and managed services; inherited "
    "from AWS (AWS PCI DSS responsibility summary)"
)


@dataclass(frozen=True)
class Requirement:
    """One defined requirement of PCI DSS v4.0.1."""

    id: str
    title: str
    procedural: str = ""
    """Why the requirement is met outside the code; used when no pack rule or live check cites it."""

    @property
    def principal(self) -> int:
        """The principal requirement (1-12)."""
        return int(self.id.split(".")[0])


def _r(id_: str, title: str, procedural: str = "") -> Requirement:
    return Requirement(id_, title, procedural)


REQUIREMENTS: tuple[Requirement, ...] = (
    # 1 Network security controls
    _r("1.1.1", "Security policies and procedures of Requirement 1 documented and in use", _POLICY),
    _r("1.1.2", "Roles and responsibilities for Requirement 1 assigned", _ROLES),
    _r("1.2.1", "Configuration standards for NSC rulesets defined, implemented, maintained"),
    _r(
        "1.2.2",
        "Changes to network connections and NSCs approved and managed (change control 6.5.1)",
        "change approval happens in pull-request review and the CI deploy gate; the approvals are records",
    ),
    _r(
        "1.2.3",
        "Accurate network diagram maintained",
        "the diagram is generated from the plan (`.venv/bin/python -m offline.diagram`); keeping it current is a "
        "review step",
    ),
    _r("1.2.4", "Accurate data-flow diagram maintained", "account-data flows are an application design document"),
    _r(
        "1.2.5",
        "Allowed services, protocols and ports identified, approved, with business need",
        "the approval and business need of each port are documents; the ports themselves are enforced by 1.3.1 rules",
    ),
    _r(
        "1.2.6",
        "Security features for insecure services, protocols and ports in use",
        "no insecure protocol is allowed (4.2.1 rules refuse plaintext); anything else needs a documented exception",
    ),
    _r("1.2.7", "NSC configurations reviewed at least every six months", _PEOPLE),
    _r(
        "1.2.8",
        "NSC configuration files secured and consistent with active configuration",
        "Pulumi state and this repository hold the configuration; access to them is an organizational control",
    ),
    _r("1.3.1", "Inbound traffic to the CDE restricted to what is necessary"),
    _r("1.3.2", "Outbound traffic from the CDE restricted to what is necessary"),
    _r("1.3.3", "NSCs between all wireless networks and the CDE", _WIRELESS),
    _r("1.4.1", "NSCs between trusted and untrusted networks"),
    _r("1.4.2", "Inbound traffic from untrusted networks restricted"),
    _r(
        "1.4.3",
        "Anti-spoofing measures detect and block forged source IPs",
        "the VPC drops spoofed source addresses by design (EC2 source/destination check); inherited from AWS",
    ),
    _r("1.4.4", "System components storing cardholder data not directly reachable from untrusted networks"),
    _r(
        "1.4.5",
        "Disclosure of internal IP addresses and routing limited",
        "internal addresses stay private by placement (1.4.4 rules); disclosure in documents is a process",
    ),
    _r(
        "1.5.1",
        "Security controls on computing devices connecting to untrusted networks and the CDE",
        "end-user devices are managed by the organization's endpoint management, outside this IaC",
    ),
    # 2 Secure configurations
    _r("2.1.1", "Security policies and procedures of Requirement 2 documented and in use", _POLICY),
    _r("2.1.2", "Roles and responsibilities for Requirement 2 assigned", _ROLES),
    _r("2.2.1", "Configuration standards developed, implemented, maintained for all components"),
    _r("2.2.2", "Vendor default accounts managed (changed or disabled)"),
    _r("2.2.3", "Primary functions with different security levels managed (isolated)"),
    _r(
        "2.2.4",
        "Only necessary services, protocols, daemons and functions enabled",
        "managed services (EKS, Aurora, MSK, ElastiCache) expose only their service ports; node images are EKS-"
        "optimized AMIs maintained by AWS",
    ),
    _r(
        "2.2.5",
        "Insecure services present: justified and mitigated",
        "no insecure service is enabled (4.2.1 rules); a justified exception goes through the waiver register",
    ),
    _r("2.2.6", "System security parameters configured to prevent misuse"),
    _r("2.2.7", "Non-console administrative access encrypted with strong cryptography"),
    _r("2.3.1", "Wireless vendor defaults changed", _WIRELESS),
    _r("2.3.2", "Wireless encryption keys changed on personnel change", _WIRELESS),
    # 3 Stored account data
    _r("3.1.1", "Security policies and procedures of Requirement 3 documented and in use", _POLICY),
    _r("3.1.2", "Roles and responsibilities for Requirement 3 assigned", _ROLES),
    _r(
        "3.2.1",
        "Account data storage kept to a minimum (retention and disposal)",
        "what account data is stored and for how long is decided by the applications' data-retention policy",
    ),
    _r("3.3.1", "SAD not retained after authorization", _NO_PAN_DISPLAY),
    _r("3.3.1.1", "Full track data not retained after authorization", _NO_PAN_DISPLAY),
    _r("3.3.1.2", "Card verification code not retained after authorization", _NO_PAN_DISPLAY),
    _r("3.3.1.3", "PIN and PIN block not retained after authorization", _NO_PAN_DISPLAY),
    _r("3.3.2", "SAD stored before authorization encrypted with strong cryptography", _NO_PAN_DISPLAY),
    _r("3.3.3", "SAD stored by issuers limited and encrypted", _NO_PAN_DISPLAY),
    _r("3.4.1", "PAN masked when displayed", _NO_PAN_DISPLAY),
    _r(
        "3.4.2",
        "Remote-access technologies prevent copy or relocation of PAN",
        "no remote-access technology is part of the platform; administrators use the AWS and Kubernetes APIs",
    ),
    _r("3.5.1", "PAN rendered unreadable anywhere it is stored"),
    _r("3.5.1.1", "Hashes rendering PAN unreadable are keyed cryptographic hashes", _NO_PAN_DISPLAY),
    _r(
        "3.5.1.2",
        "Disk-level encryption used only for removable media or with another mechanism",
        "storage encryption (3.5.1 rules) is paired with database/IAM access control; the application decides "
        "field-level protection of PAN",
    ),
    _r(
        "3.5.1.3",
        "Disk-level encryption: logical access managed separately from the OS",
        "AWS KMS keys are authorized by IAM and key policies, separately from the OS (3.6.1 rules); inherited",
    ),
    _r("3.6.1", "Procedures protect cryptographic keys against disclosure and misuse"),
    _r("3.6.1.1", "Service providers: documented description of the cryptographic architecture", _SP),
    _r(
        "3.6.1.2",
        "Secret and private keys stored encrypted, in a secure device, or as key components",
        "AWS KMS keeps key material in HSMs and never exports it; inherited from AWS (KMS FIPS 140-3 validation)",
    ),
    _r(
        "3.6.1.3",
        "Access to cleartext key components restricted to the fewest custodians",
        "KMS never exposes cleartext key material to anyone; inherited from AWS",
    ),
    _r(
        "3.6.1.4",
        "Cryptographic keys stored in the fewest possible locations",
        "KMS keys exist only in KMS in their region; inherited from AWS",
    ),
    _r("3.7.1", "Key-management procedure: generation of strong keys", _KEY_MGMT),
    _r("3.7.2", "Key-management procedure: secure distribution", _KEY_MGMT),
    _r("3.7.3", "Key-management procedure: secure storage", _KEY_MGMT),
    _r("3.7.4", "Key changes at the end of the cryptoperiod"),
    _r("3.7.5", "Retirement, replacement or destruction of keys"),
    _r(
        "3.7.6",
        "Split knowledge and dual control of manual cleartext key operations",
        "no manual cleartext key operation exists (KMS-generated keys only)",
    ),
    _r("3.7.7", "Prevention of unauthorized substitution of keys"),
    _r("3.7.8", "Key custodians acknowledge their responsibilities", _PEOPLE),
    _r("3.7.9", "Service providers: key-sharing guidance for customers", _SP),
    # 4 Transmission over open, public networks
    _r("4.1.1", "Security policies and procedures of Requirement 4 documented and in use", _POLICY),
    _r("4.1.2", "Roles and responsibilities for Requirement 4 assigned", _ROLES),
    _r("4.2.1", "Strong cryptography protects PAN in transmission over open, public networks"),
    _r("4.2.1.1", "Inventory of trusted keys and certificates maintained"),
    _r("4.2.1.2", "Wireless networks transmitting PAN use strong cryptography", _WIRELESS),
    _r(
        "4.2.2",
        "PAN secured when sent by end-user messaging technologies",
        "the platform sends no PAN through end-user messaging; an application and procedure matter",
    ),
    # 6 Secure systems and software
    _r("6.1.1", "Security policies and procedures of Requirement 6 documented and in use", _POLICY),
    _r("6.1.2", "Roles and responsibilities for Requirement 6 assigned", _ROLES),
    _r("6.2.1", "Bespoke and custom software developed securely", _APP),
    _r("6.2.2", "Software development personnel trained at least every 12 months", _PEOPLE),
    _r(
        "6.2.3",
        "Bespoke and custom software reviewed before release",
        "pull-request review of this repository and the applications' repositories; the reviews are records",
    ),
    _r("6.2.3.1", "Manual code reviews by someone other than the author", _PEOPLE),
    _r("6.2.4", "Software engineering techniques prevent common software attacks"),
    _r("6.3.1", "Security vulnerabilities identified and managed"),
    _r(
        "6.3.2",
        "Inventory of bespoke software and third-party components",
        "requirements.txt, Chart.lock and image digests pin every component; the SBOM is produced by the build",
    ),
    _r("6.3.3", "Components protected from known vulnerabilities by installing patches"),
    _r("6.4.1", "Public-facing web applications protected against attacks (reviews or automated solution)"),
    _r("6.4.2", "Automated technical solution detects and prevents web-based attacks"),
    _r(
        "6.4.3",
        "Payment page scripts managed",
        "the platform serves APIs, no payment page; the payment page's "
        "scripts belong to the front end, outside this IaC",
    ),
    _r(
        "6.5.1",
        "Changes to production follow established change procedures",
        "changes reach production only through the reviewed pull request and CI `pulumi up` (process records)",
    ),
    _r(
        "6.5.2",
        "Applicable requirements confirmed after a significant change",
        "the offline audit runs on every pull request (`.venv/bin/python -m offline.audit`), but confirming every "
        "requirement after a significant change is an assessor-reviewed process",
    ),
    _r("6.5.3", "Pre-production environments separated from production"),
    _r("6.5.4", "Roles and functions separated between production and pre-production", _ROLES),
    _r("6.5.5", "Live PANs not used in pre-production", "test data policy; dev holds no live PAN by procedure"),
    _r("6.5.6", "Test data and accounts removed before production", _PEOPLE),
    # 7 Access by business need to know
    _r("7.1.1", "Security policies and procedures of Requirement 7 documented and in use", _POLICY),
    _r("7.1.2", "Roles and responsibilities for Requirement 7 assigned", _ROLES),
    _r("7.2.1", "Access control model defined and covers all components"),
    _r("7.2.2", "Access assigned by job classification with least privileges"),
    _r("7.2.3", "Required privileges approved by authorized personnel", _PEOPLE),
    _r("7.2.4", "User accounts and privileges reviewed at least every six months", _PEOPLE),
    _r("7.2.5", "Application and system accounts assigned least privilege and managed"),
    _r("7.2.5.1", "Access of application and system accounts reviewed periodically", _PEOPLE),
    _r("7.2.6", "User access to query repositories of stored cardholder data restricted"),
    _r("7.3.1", "Access control system restricts access by need to know"),
    _r("7.3.2", "Access control system enforces assigned permissions"),
    _r("7.3.3", "Access control system denies all by default"),
    # 8 Identification and authentication
    _r("8.1.1", "Security policies and procedures of Requirement 8 documented and in use", _POLICY),
    _r("8.1.2", "Roles and responsibilities for Requirement 8 assigned", _ROLES),
    _r(
        "8.2.1",
        "All users have a unique ID",
        "people sign in through the organization's identity provider "
        "(IAM Identity Center); the stack grants roles, not personal users",
    ),
    _r("8.2.2", "Group, shared or generic accounts only when necessary and managed", _PEOPLE),
    _r("8.2.3", "Service providers: unique authentication factors per customer premises", _SP),
    _r("8.2.4", "Addition, deletion and modification of user IDs managed", _PEOPLE),
    _r("8.2.5", "Access of terminated users revoked immediately", _PEOPLE),
    _r("8.2.6", "Inactive user accounts removed or disabled within 90 days", _PEOPLE),
    _r("8.2.7", "Third-party remote-access accounts managed", _PEOPLE),
    _r(
        "8.2.8",
        "Sessions idle more than 15 minutes re-authenticate",
        "session timeouts of the console and identity provider are set in the identity provider",
    ),
    _r("8.3.1", "All user access authenticated with at least one factor"),
    _r("8.3.2", "Strong cryptography renders authentication factors unreadable in transit and storage"),
    _r("8.3.3", "User identity verified before an authentication factor is modified", _PEOPLE),
    _r(
        "8.3.4",
        "Invalid authentication attempts limited (lockout)",
        "IAM and the identity provider throttle and lock sign-ins; the data stores take IAM tokens only (8.3.1)",
    ),
    _r("8.3.5", "Passwords set and reset to a unique first-use value", _PEOPLE),
    _r("8.3.6", "Passwords at least 12 characters with letters and digits"),
    _r("8.3.7", "New passwords differ from the last four", "identity provider password policy"),
    _r("8.3.8", "Authentication policies documented and communicated", _POLICY),
    _r(
        "8.3.9",
        "Single-factor passwords changed every 90 days or analysed dynamically",
        "no person signs in with a password alone (identity provider with MFA); service credentials rotate",
    ),
    _r("8.3.10", "Service providers: guidance for customer passwords", _SP),
    _r("8.3.10.1", "Service providers: customer passwords changed every 90 days or analysed", _SP),
    _r("8.3.11", "Physical or logical authentication tokens assigned to one individual", _PEOPLE),
    _r(
        "8.4.1",
        "MFA for all non-console administrative access into the CDE",
        "MFA is enforced by the identity provider that issues the administrators' role sessions",
    ),
    _r("8.4.2", "MFA for all access into the CDE", "MFA is enforced by the identity provider"),
    _r("8.4.3", "MFA for remote network access from outside the network", "MFA is enforced by the identity provider"),
    _r("8.5.1", "MFA systems configured against replay and bypass", "identity provider configuration"),
    _r(
        "8.6.1",
        "Interactive login by system or application accounts managed",
        "workload roles are assumed by service accounts (IRSA) and cannot sign in interactively",
    ),
    _r("8.6.2", "Passwords of system and application accounts not hard-coded"),
    _r("8.6.3", "Passwords of system and application accounts protected against misuse"),
    # 10 Logging and monitoring
    _r("10.1.1", "Security policies and procedures of Requirement 10 documented and in use", _POLICY),
    _r("10.1.2", "Roles and responsibilities for Requirement 10 assigned", _ROLES),
    _r("10.2.1", "Audit logs enabled and active for all components and cardholder data"),
    _r("10.2.1.1", "Audit logs capture all individual user access to cardholder data"),
    _r("10.2.1.2", "Audit logs capture all actions by administrators"),
    _r("10.2.1.3", "Audit logs capture all access to audit logs"),
    _r("10.2.1.4", "Audit logs capture invalid logical access attempts"),
    _r("10.2.1.5", "Audit logs capture changes to identification and authentication credentials"),
    _r("10.2.1.6", "Audit logs capture initialization, stopping or pausing of audit logs"),
    _r("10.2.1.7", "Audit logs capture creation and deletion of system-level objects"),
    _r("10.2.2", "Audit logs record the details of each auditable event"),
    _r("10.3.1", "Read access to audit logs limited to those with a job-related need"),
    _r("10.3.2", "Audit log files protected against modification"),
    _r("10.3.3", "Audit logs promptly backed up to a secure, central store"),
    _r("10.3.4", "File integrity monitoring or change detection on audit logs"),
    _r("10.4.1", "Security events and critical logs reviewed at least daily"),
    _r("10.4.1.1", "Automated mechanisms perform audit log reviews"),
    _r("10.4.2", "Logs of all other components reviewed periodically", _PEOPLE),
    _r("10.4.2.1", "Frequency of periodic log reviews defined by targeted risk analysis", _PEOPLE),
    _r(
        "10.4.3",
        "Exceptions and anomalies found in reviews addressed",
        "findings reach the alarm topic (10.7.2 rules); addressing them is the on-call process",
    ),
    _r("10.5.1", "Audit log history kept 12 months, three months immediately available"),
    _r("10.6.1", "System clocks synchronized with time-synchronization technology", _TIME),
    _r("10.6.2", "Systems configured to correct and consistent time", _TIME),
    _r("10.6.3", "Time synchronization settings and data protected", _TIME),
    _r("10.7.1", "Service providers: failures of critical security control systems detected and alerted", _SP),
    _r("10.7.2", "Failures of critical security control systems detected, alerted and addressed"),
    _r(
        "10.7.3",
        "Failures of critical security control systems responded to promptly",
        "the response (restore, analyse, document) is the on-call runbook; detection is 10.7.2",
    ),
    # 11 Security testing
    _r("11.1.1", "Security policies and procedures of Requirement 11 documented and in use", _POLICY),
    _r("11.1.2", "Roles and responsibilities for Requirement 11 assigned", _ROLES),
    _r("11.2.1", "Authorized and unauthorized wireless access points managed", _WIRELESS),
    _r("11.2.2", "Inventory of authorized wireless access points", _WIRELESS),
    _r("11.3.1", "Internal vulnerability scans at least every three months"),
    _r("11.3.1.1", "Other (not high or critical) vulnerabilities managed by risk analysis", _SCANS),
    _r("11.3.1.2", "Internal scans performed with authenticated scanning", _SCANS),
    _r("11.3.1.3", "Internal scans after any significant change", _SCANS),
    _r("11.3.2", "External vulnerability scans by an ASV every three months", _SCANS),
    _r("11.3.2.1", "External scans after any significant change", _SCANS),
    _r("11.4.1", "Penetration testing methodology defined", _SCANS),
    _r("11.4.2", "Internal penetration testing every 12 months and after significant change", _SCANS),
    _r("11.4.3", "External penetration testing every 12 months and after significant change", _SCANS),
    _r("11.4.4", "Exploitable vulnerabilities found in penetration tests corrected", _SCANS),
    _r("11.4.5", "Segmentation controls tested", _SCANS),
    _r("11.4.6", "Service providers: segmentation tested every six months", _SP),
    _r("11.4.7", "Multi-tenant service providers support customers' external penetration tests", _SP),
    _r("11.5.1", "Intrusion detection or prevention monitors the CDE"),
    _r("11.5.1.1", "Service providers: IDS/IPS detect covert malware communication", _SP),
    _r("11.5.2", "Change-detection mechanism alerts on unauthorized modification of critical files"),
    _r(
        "11.6.1",
        "Change and tamper detection on payment pages",
        "the platform serves APIs, no payment page (see 6.4.3)",
    ),
    # 12 Policies and programs
    _r("12.1.1", "Information security policy established, published, maintained, disseminated", _POLICY),
    _r("12.1.2", "Information security policy reviewed every 12 months", _POLICY),
    _r("12.1.3", "Security policy defines roles and responsibilities", _ROLES),
    _r("12.1.4", "Responsibility for information security assigned to an executive", _ROLES),
    _r("12.2.1", "Acceptable use policies for end-user technologies", _POLICY),
    _r("12.3.1", "Targeted risk analysis for requirements with flexible frequency", _PEOPLE),
    _r("12.3.2", "Targeted risk analysis for each customized-approach requirement", _PEOPLE),
    _r("12.3.3", "Cipher suites and protocols in use documented and reviewed every 12 months"),
    _r("12.3.4", "Hardware and software technologies reviewed every 12 months"),
    _r("12.4.1", "Service providers: executive responsibility for PCI DSS compliance", _SP),
    _r("12.4.2", "Service providers: quarterly reviews that personnel follow procedures", _SP),
    _r("12.4.2.1", "Service providers: quarterly reviews documented", _SP),
    _r("12.5.1", "Inventory of in-scope system components kept current"),
    _r(
        "12.5.2",
        "PCI DSS scope documented and confirmed every 12 months and after significant change",
        "scoping is an assessor-reviewed document; the tag inventory (12.5.1) feeds it",
    ),
    _r("12.5.2.1", "Service providers: scope confirmed every six months", _SP),
    _r("12.5.3", "Service providers: scope reviewed after organizational change", _SP),
    _r("12.6.1", "Formal security awareness program", _PEOPLE),
    _r("12.6.2", "Security awareness program reviewed every 12 months", _PEOPLE),
    _r("12.6.3", "Personnel receive security awareness training on hire and every 12 months", _PEOPLE),
    _r("12.6.3.1", "Training covers phishing and social engineering", _PEOPLE),
    _r("12.6.3.2", "Training covers acceptable use of end-user technologies", _PEOPLE),
    _r("12.7.1", "Potential personnel screened", _PEOPLE),
    _r(
        "12.8.1",
        "List of third-party service providers maintained",
        "the TPSP list (AWS among them, with its AOC from AWS Artifact) is a document",
    ),
    _r("12.8.2", "Written agreements with third-party service providers", _PEOPLE),
    _r("12.8.3", "Process for engaging third-party service providers", _PEOPLE),
    _r("12.8.4", "Program monitoring TPSPs' PCI DSS compliance at least yearly", _PEOPLE),
    _r(
        "12.8.5",
        "Requirements managed by each TPSP and by the entity documented",
        "the AWS shared-responsibility matrix is a document; this coverage matrix marks what AWS inherits",
    ),
    _r("12.9.1", "TPSPs acknowledge responsibility for account data in writing", _SP),
    _r("12.9.2", "TPSPs support customers' requests for compliance information", _SP),
    _r("12.10.1", "Incident response plan exists and can be activated immediately"),
    _r(
        "12.10.2",
        "Incident response plan reviewed and tested every 12 months",
        "`python -m ops dr-drill` exercises recovery; the plan's yearly review and test are records",
    ),
    _r("12.10.3", "Incident response personnel available 24/7", _PEOPLE),
    _r("12.10.4", "Incident response personnel trained", _PEOPLE),
    _r("12.10.4.1", "Frequency of incident response training defined by risk analysis", _PEOPLE),
    _r("12.10.5", "Incident response plan covers alerts from security monitoring systems"),
    _r("12.10.6", "Incident response plan updated from lessons learned", _PEOPLE),
    _r(
        "12.10.7",
        "Procedures for PAN found where it is not expected",
        "Macie or application scanning for stray PAN and the response procedure are outside this IaC",
    ),
)
"""Every defined requirement in scope, in the standard's order."""

BY_ID: dict[str, Requirement] = {requirement.id: requirement for requirement in REQUIREMENTS}


def known(requirement_id: str) -> bool:
    """Whether an ID is a defined, in-scope requirement of PCI DSS v4.0.1."""
    return requirement_id in BY_ID
