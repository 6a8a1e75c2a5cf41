// The components of a stack, in the order index.ts builds them, and the context they share. Each is a
// ComponentResource (name, args, opts) whose Args take the StackContext plus what only it needs.

export { adoptOptions, stackContext, type StackContext } from "./context";
export { BackupStorage, type BackupStorageArgs } from "./storage";
export { Recovery, RESTORE_JOB_DEADLINE_SECONDS, type RecoveryArgs } from "./recovery";
export { Postgres, renderPostgresqlConf, type PostgresArgs } from "./postgres";
export {
    HaCluster, leaderSelector, singleNodeInHa, SPILO_ARCHIVE_COMMAND, type HaClusterArgs, type MigrationSummary,
} from "./ha-cluster";
export { RecoveryHandover, type RecoveryHandoverArgs, type RecoverySummary, type RollbackSummary } from "./recovery-handover";
export { Backups, type BackupsArgs } from "./backups";
export { DisasterRecovery, type DisasterRecoveryArgs, type DrRefs } from "./disaster-recovery";
export { Drills, type DrillsArgs } from "./drills";
export { type DatabaseRefs } from "./pod";
export { type WalgAccess } from "./walg";
