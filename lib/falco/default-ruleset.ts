import { FalcoPriority } from './rules';

/**
 * The default ruleset this project pins: falco-rules 5.1.0, the OCI artifact
 * `ghcr.io/falcosecurity/rules/falco-rules:5.1.0` (falcosecurity/rules, tag falco-rules-5.1.0,
 * rules/falco_rules.yaml). Carried as data so that `falco.disabledRules` and `disable: {tag: …}`
 * can be checked at synth time without fetching the artifact. Update together with
 * `DEFAULT_RULES_VERSION` when moving to a newer ruleset (see the README).
 */
export const DEFAULT_RULES_VERSION = '5.1.0';

/** The OCI repository of Falco's default ruleset (falcoctl's `falco-rules` index entry). */
export const DEFAULT_RULES_REPOSITORY = 'ghcr.io/falcosecurity/rules/falco-rules';

/** A rule of the default ruleset: its name, priority and tags. */
export interface DefaultRule {
  readonly name: string;
  readonly priority: FalcoPriority;
  readonly tags: readonly string[];
}

/** The 25 rules of falco-rules 5.1.0, in file order. */
export const DEFAULT_RULES: readonly DefaultRule[] = [
  { name: 'Directory traversal monitored file read', priority: FalcoPriority.WARNING, tags: ['maturity_stable','host','container','filesystem','mitre_credential_access','T1555'] },
  { name: 'Read sensitive file trusted after startup', priority: FalcoPriority.WARNING, tags: ['maturity_stable','host','container','filesystem','mitre_credential_access','T1555'] },
  { name: 'Read sensitive file untrusted', priority: FalcoPriority.WARNING, tags: ['maturity_stable','host','container','filesystem','mitre_credential_access','T1555'] },
  { name: 'Run shell untrusted', priority: FalcoPriority.NOTICE, tags: ['maturity_stable','host','container','process','shell','mitre_execution','T1059.004'] },
  { name: 'System user interactive', priority: FalcoPriority.INFORMATIONAL, tags: ['maturity_stable','host','container','users','mitre_execution','T1059','NIST_800-53_AC-2'] },
  { name: 'Terminal shell in container', priority: FalcoPriority.NOTICE, tags: ['maturity_stable','container','shell','mitre_execution','T1059'] },
  { name: 'Contact K8S API Server From Container', priority: FalcoPriority.NOTICE, tags: ['maturity_stable','container','network','k8s','mitre_discovery','T1565'] },
  { name: 'Netcat Remote Code Execution in Container', priority: FalcoPriority.WARNING, tags: ['maturity_stable','container','network','process','mitre_execution','T1059'] },
  { name: 'Search Private Keys or Passwords', priority: FalcoPriority.WARNING, tags: ['maturity_stable','host','container','process','filesystem','mitre_credential_access','T1552.001'] },
  { name: 'Clear Log Activities', priority: FalcoPriority.WARNING, tags: ['maturity_stable','host','container','filesystem','mitre_defense_evasion','T1070','NIST_800-53_AU-10'] },
  { name: 'Remove Bulk Data from Disk', priority: FalcoPriority.WARNING, tags: ['maturity_stable','host','container','process','filesystem','mitre_impact','T1485'] },
  { name: 'Create Symlink Over Sensitive Files', priority: FalcoPriority.WARNING, tags: ['maturity_stable','host','container','filesystem','mitre_credential_access','T1555'] },
  { name: 'Create Hardlink Over Sensitive Files', priority: FalcoPriority.WARNING, tags: ['maturity_stable','host','container','filesystem','mitre_credential_access','T1555'] },
  { name: 'Packet socket created in container', priority: FalcoPriority.NOTICE, tags: ['maturity_stable','container','network','mitre_credential_access','T1557.002'] },
  { name: 'Redirect STDOUT/STDIN to Network Connection in Container', priority: FalcoPriority.NOTICE, tags: ['maturity_stable','container','network','process','mitre_execution','T1059'] },
  { name: 'Linux Kernel Module Injection Detected', priority: FalcoPriority.WARNING, tags: ['maturity_stable','host','container','process','mitre_persistence','TA0003'] },
  { name: 'Debugfs Launched in Privileged Container', priority: FalcoPriority.WARNING, tags: ['maturity_stable','container','cis','process','mitre_privilege_escalation','T1611'] },
  { name: 'Detect release_agent File Container Escapes', priority: FalcoPriority.CRITICAL, tags: ['maturity_stable','container','process','mitre_privilege_escalation','T1611'] },
  { name: 'PTRACE attached to process', priority: FalcoPriority.WARNING, tags: ['maturity_stable','host','container','process','mitre_privilege_escalation','T1055.008'] },
  { name: 'PTRACE anti-debug attempt', priority: FalcoPriority.NOTICE, tags: ['maturity_stable','host','container','process','mitre_defense_evasion','T1622'] },
  { name: 'Find AWS Credentials', priority: FalcoPriority.WARNING, tags: ['maturity_stable','host','container','process','aws','mitre_credential_access','T1552'] },
  { name: 'Execution from /dev/shm', priority: FalcoPriority.WARNING, tags: ['maturity_stable','host','container','mitre_execution','T1059.004'] },
  { name: 'Drop and execute new binary in container', priority: FalcoPriority.CRITICAL, tags: ['maturity_stable','container','process','mitre_persistence','TA0003','PCI_DSS_11.5.1'] },
  { name: 'Disallowed SSH Connection Non Standard Port', priority: FalcoPriority.NOTICE, tags: ['maturity_stable','host','container','network','process','mitre_execution','T1059'] },
  { name: 'Fileless execution via memfd_create', priority: FalcoPriority.CRITICAL, tags: ['maturity_stable','host','container','process','mitre_defense_evasion','T1620'] },
];
