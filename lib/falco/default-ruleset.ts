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

/**
 * The 87 macro names of falco-rules 5.1.0, in file order (same source as `DEFAULT_RULES`). Custom
 * rules and macros may use them; a name outside these and `falco.macros` is an undefined macro,
 * which Falco refuses. Names only: their conditions stay in the ruleset.
 */
export const DEFAULT_MACROS: readonly string[] = [
  'open_write', 'open_read', 'open_file_failed', 'never_true', 'proc_name_exists', 'spawned_process',
  'create_symlink', 'create_hardlink', 'kernel_module_load', 'dup', 'etc_dir', 'shell_procs', 'server_procs',
  'run_by_package_mgmt_binaries', 'sensitive_files', 'proc_is_new', 'container', 'interactive',
  'system_users', 'ansible_running_python', 'run_by_qualys', 'run_by_google_accounts_daemon', 'run_by_chef',
  'run_by_foreman', 'python_mesos_marathon_scripting', 'splunk_running_forwarder', 'perl_running_plesk',
  'perl_running_updmap', 'perl_running_centrifydc', 'runuser_reading_pam', 'linux_bench_reading_etc_shadow',
  'veritas_driver_script', 'user_ssh_directory', 'directory_traversal', 'cmp_cp_by_passwd',
  'user_known_read_sensitive_files_activities', 'user_read_sensitive_file_conditions',
  'user_read_sensitive_file_containers', 'mandb_postinst', 'postgres_running_wal_e', 'postgres_running_cnpg',
  'redis_running_prepost_scripts', 'rabbitmq_running_scripts', 'rabbitmqctl_running_scripts',
  'run_by_appdynamics', 'parent_java_running_zookeeper', 'parent_java_running_kafka',
  'parent_java_running_elasticsearch', 'parent_java_running_activemq', 'parent_java_running_cassandra',
  'parent_java_running_jboss_wildfly', 'parent_java_running_glassfish', 'parent_java_running_hadoop',
  'parent_java_running_datastax', 'nginx_starting_nginx', 'nginx_running_aws_s3_cp',
  'consul_running_net_scripts', 'consul_running_alert_checks', 'serf_script', 'check_process_status',
  'possibly_node_in_container', 'possibly_parent_java_running_tomcat', 'protected_shell_spawner',
  'container_entrypoint', 'user_known_system_user_login',
  'user_expected_terminal_shell_in_container_conditions', 'user_shell_container_exclusions',
  'k8s_containers', 'k8s_api_server', 'user_known_contact_k8s_api_server_activities', 'grep_commands',
  'grep_more', 'private_key_or_password', 'access_log_files', 'allowed_clear_log_files',
  'trusted_logging_images', 'containerd_activities', 'clear_data_procs', 'user_known_remove_data_activities',
  'user_known_stand_streams_redirect_activities', 'known_ptrace_procs', 'ptrace_attach_or_injection',
  'private_aws_credentials', 'known_drop_and_execute_activities', 'outbound',
  'ssh_non_standard_ports_network', 'known_memfd_execution_processes',
];

/**
 * The 49 list names of falco-rules 5.1.0, in file order (same source as `DEFAULT_RULES`). A
 * custom condition may use them inside value lists (`proc.name in (shell_binaries)`).
 */
export const DEFAULT_LISTS: readonly string[] = [
  'shell_binaries', 'login_binaries', 'passwd_binaries', 'shadowutils_binaries', 'http_server_binaries',
  'db_server_binaries', 'postgres_mgmt_binaries', 'nosql_server_binaries', 'gitlab_binaries', 'rpm_binaries',
  'deb_binaries', 'python_package_managers', 'package_mgmt_binaries', 'userexec_binaries',
  'user_mgmt_binaries', 'hids_binaries', 'vpn_binaries', 'nomachine_binaries', 'mail_binaries',
  'mail_config_binaries', 'sensitive_file_names', 'sensitive_directory_names', 'cron_binaries',
  'needrestart_binaries', 'sshkit_script_binaries', 'read_sensitive_file_binaries',
  'read_sensitive_file_images', 'protected_shell_spawning_binaries', 'mesos_shell_binaries',
  'trusted_images', 'sematext_images', 'falco_containers', 'falco_no_driver_containers',
  'falco_privileged_images', 'known_shell_spawn_cmdlines', 'user_known_shell_spawn_binaries',
  'ibm_cloud_containers', 'grep_binaries', 'log_directories', 'log_files', 'data_remove_commands',
  'user_known_packet_socket_binaries', 'allowed_container_images_loading_kernel_module', 'docker_binaries',
  'known_ptrace_binaries', 'known_drop_and_execute_containers', 'rfc_1918_addresses',
  'ssh_non_standard_ports', 'known_memfd_execution_binaries',
];
