// One module per `ternent-postgres:` section: its type and its reader. A new section is a module here,
// its key in ../schema.ts, its default in ../defaults.ts and one line in ../validate.ts.

export { checkAdoption } from "./adopt";
export { readAlerts, type AlertsConfig } from "./alerts";
export { readDrills, type DrillsConfig } from "./drills";
export { checkProviderFlags, MUTABLE_FLAGS } from "./kubernetes";
export { defaultNamespaces, readNamespaces, type NamespacesConfig } from "./namespaces";
export { readNetwork, type NetworkConfig } from "./network";
export { readPostgres, type PostgresConfig, type ResourceList } from "./postgres";
export { readRecovery, type RecoveryConfig } from "./recovery";
export { readRetention, type RetentionConfig } from "./retention";
export { MIGRATION_MAX_LEAD_HOURS, readMigration, type MigrationConfig } from "./migration";
export { checkProfile, OPERATOR_RELEASE, PROFILES, readHa, readProfile, singleNodeVolumes, type HaConfig, type Profile } from "./profile";
export { readRollback, type RollbackConfig } from "./rollback";
export { JOBS, readSchedules, type JobName, type Schedules } from "./schedules";
export { readSecrets, type ExistingCredentials, type SecretsConfig } from "./secrets";
export { KEY_PERMISSIONS, readSpaces, type KeyPermission, type SpacesConfig } from "./spaces";
export { readWalg, type WalgConfig, type WalgRetries } from "./walg";
