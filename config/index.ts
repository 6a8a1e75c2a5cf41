// The stack config: read once (load.ts), validated into a typed, readonly StackConfig (validate.ts,
// one module per section under sections/), warned about where the policy pack would refuse it
// (warnings.ts), and checked against this stack's previous deployment (history.ts).
// index.ts calls loadAndCheckStackConfig; components import only types from here.

export { DEFAULTS } from "./defaults";
export { ConfigError, PROJECT } from "./errors";
export { parseQuantity, parseRfc3339 } from "./formats";
export { checkAgainstPrevious, readPreviousDeployment, type PreviousDeployment } from "./history";
export { loadAndCheckStackConfig, loadStackConfig, validationClock } from "./load";
export { POLICY_MINIMUMS, POLICY_NAMES } from "./policy";
export { type DerivedValues, type StackConfig } from "./schema";
export { singleNodeVolumes } from "./sections";
export {
    defaultNamespaces, JOBS, KEY_PERMISSIONS,
    type AlertsConfig, type DrillsConfig, type ExistingCredentials, type JobName, type KeyPermission, type NamespacesConfig, type NetworkConfig,
    type HaConfig, type MigrationConfig, type PostgresConfig, type Profile, type RecoveryConfig, type ResourceList, type RetentionConfig, type RollbackConfig, type Schedules,
    type SpacesConfig, type WalgConfig, type WalgRetries,
} from "./sections";
export { validateStackConfig, type RawStackConfig, type ValidatedConfig } from "./validate";
