// Names and paths fixed by docs/architecture.md, shared by the program, the policy pack and the
// tests so that a rename happens in one place. No dependencies.

/** Kubernetes object names users and the scripts already know. */
export const NAMES = {
    /** StatefulSet, Service, ConfigMap (postgresql.conf), NetworkPolicy and Secret (database credentials). */
    postgres: "ternent-postgres",
    /** Secret with the WAL-G storage environment (both namespaces). */
    backupSecret: "ternent-postgres-backup",
    scriptsConfigMap: "ternent-postgres-scripts",
    walgConfigMap: "ternent-postgres-walg",
    backupCronJob: "ternent-postgres-backup",
    retentionCronJob: "ternent-postgres-retention",
    canaryCronJob: "ternent-postgres-canary",
    verifyCronJob: "ternent-postgres-verify",
    restoreDrillCronJob: "ternent-postgres-restore-drill",
    pitrDrillCronJob: "ternent-postgres-pitr-drill",
    drNetworkPolicy: "ternent-postgres-deny-ingress",
    /** The API Deployment a recovery scales down and up again. */
    apiDeployment: "ternent-api",
    /** ha profile: NetworkPolicy of the operator cluster's pods. */
    haNetworkPolicy: "ternent-postgres-ha",
    /** ha profile, during a migration: Service reaching the single node's pod (the cut-over's way in). */
    singleService: "ternent-postgres-single",
    /** Secret with the API's own credentials (least-privilege role; POSTGRES_USER/…/DATABASE_URL). */
    appSecret: "ternent-postgres-app",
    /** Job creating/updating the API's role (scripts/app-role.sh). */
    appRoleJob: "ternent-postgres-app-role",
    /** Headless Service of the StatefulSet (postgres.serviceName's default). */
    headlessService: "ternent-postgres-headless",
    /** Secret with the alert webhook URL (both namespaces; only with alerts.webhookUrl). */
    alertsSecret: "ternent-postgres-alerts",
} as const;

/** Seconds a drill may start late (the drill CronJobs' startingDeadlineSeconds); part of a drill's window. */
export const DRILL_STARTING_DEADLINE_SECONDS = 600;

/** Names that carry a data generation number. */
export const generationNames = {
    /** PVC of data generation n ≥ 1. */
    dataClaim: (n: number): string => `ternent-postgres-data-g${n}`,
    /** Job restoring generation n from generation n−1 (and its Secret and scripts ConfigMap). */
    restoreJob: (n: number): string => `ternent-postgres-restore-g${n}`,
    /** Job taking the first base backup of generation n. */
    firstBackupJob: (n: number): string => `ternent-postgres-backup-g${n}`,
    /** Job cutting the single node over to the ha cluster of generation n (scripts/migrate-cutover.sh). */
    migrateJob: (n: number): string => `ternent-postgres-migrate-g${n}`,
    /** Job proving the ha cluster of generation n holds every commit (scripts/migrate-verify.sh). */
    migrateVerifyJob: (n: number): string => `ternent-postgres-migrate-verify-g${n}`,
    /** Secret with the read-only key the operator's clone into generation n reads the single node's prefix with. */
    cloneSecret: (n: number): string => `ternent-postgres-clone-g${n}`,
    /** Object prefix of generation n under the configured prefix. */
    prefix: (base: string, n: number): string => (n === 0 ? base : `${base}-gen${n}`),
};

/** Paths inside every pod. */
export const PATHS = {
    scripts: "/ternent/scripts",
    bin: "/ternent/bin",
    conf: "/ternent/conf",
    confFile: "/ternent/conf/postgresql.conf",
    hbaFile: "/ternent/conf/pg_hba.conf",
    work: "/ternent/work",
    dataMount: "/var/lib/postgresql/data",
    pgdata: "/var/lib/postgresql/data/pgdata",
    socketDir: "/var/run/postgresql",
    tmp: "/tmp",
    /** The mounted WAL-G Secret, in the primary's init container walg-secret only. */
    walgSecretDir: "/ternent/walg-secret",
    /** The env file walg-secret.sh writes (memory emptyDir, 0400, owned by 999): archive/restore_command read it. */
    walgEnvFile: "/ternent/secrets/walg.env",
    secretsDir: "/ternent/secrets",
    /** Where verdict.sh keeps a job's verdict for the alert sidecar. */
    verdict: "/ternent/verdict",
    shm: "/dev/shm",
} as const;

/** The script each workload runs (file names in scripts/, i.e. keys of the scripts ConfigMap). */
export const SCRIPTS = {
    walgInstall: "walg-install.sh",
    archiveCommand: "archive-command.sh",
    restoreCommand: "restore-command.sh",
    backup: "backup.sh",
    retention: "retention.sh",
    canary: "canary.sh",
    verify: "verify.sh",
    restore: "restore.sh",
    restoreDrill: "restore-drill.sh",
    pitrDrill: "pitr-drill.sh",
    migrateCutover: "migrate-cutover.sh",
    migrateVerify: "migrate-verify.sh",
    walgSecret: "walg-secret.sh",
    appRole: "app-role.sh",
    verdict: "verdict.sh",
    alert: "alert.sh",
} as const;

/** Label keys (app.kubernetes.io/*) and the values this project sets. */
export const LABELS = {
    name: "app.kubernetes.io/name",
    instance: "app.kubernetes.io/instance",
    component: "app.kubernetes.io/component",
    partOf: "app.kubernetes.io/part-of",
    managedBy: "app.kubernetes.io/managed-by",
    /** Data generation of a PVC (and of the restore/first-backup Jobs). */
    dataGeneration: "ternent-postgres/data-generation",
} as const;

export const COMPONENTS = [
    "database", "backup", "retention", "canary", "verify", "restore-drill", "pitr-drill", "restore", "dr", "migrate", "app-role", "alerts",
] as const;
export type Component = typeof COMPONENTS[number];

/** Annotations this project sets. */
export const ANNOTATIONS = {
    /** On Secrets carrying a Spaces key: the key's grant (read | readwrite | fullaccess). */
    keyPermission: "ternent-postgres/spaces-key-permission",
    /** On Secrets carrying WAL-G storage env: their WALG_S3_PREFIX (not secret; visible in renders). */
    walgPrefix: "ternent-postgres/walg-s3-prefix",
    /** On the primary's pod template: sha256 of postgresql.conf, so a change restarts the pod. */
    configHash: "ternent-postgres/postgresql-conf-sha256",
} as const;

/** DigitalOcean Spaces regions (the S3 endpoint is https://<region>.digitaloceanspaces.com). */
export const SPACES_REGIONS = ["nyc3", "sfo2", "sfo3", "ams3", "sgp1", "fra1", "syd1", "blr1", "lon1", "tor1", "atl1"] as const;

export const WEEKDAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"] as const;
export type Weekday = typeof WEEKDAYS[number];

/** The manual step after a recovery (printed as a stack output). */
export const MIGRATE_COMMAND = "pnpm --filter ternent-api platform:migrate";
