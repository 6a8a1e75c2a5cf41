// What a stack file may hold under `ternent-postgres:` (the keys, which are structured, which are
// secret) and the typed, readonly StackConfig they become. Each section's own type lives with its
// reader in sections/.

import * as pulumi from "@pulumi/pulumi";
import type { AlertsConfig } from "./sections/alerts";
import type { DrillsConfig } from "./sections/drills";
import type { NamespacesConfig } from "./sections/namespaces";
import type { NetworkConfig } from "./sections/network";
import type { PostgresConfig } from "./sections/postgres";
import type { RecoveryConfig } from "./sections/recovery";
import type { RetentionConfig } from "./sections/retention";
import type { MigrationConfig } from "./sections/migration";
import type { HaConfig, Profile } from "./sections/profile";
import type { RollbackConfig } from "./sections/rollback";
import type { Schedules } from "./sections/schedules";
import type { ExistingCredentials } from "./sections/secrets";
import type { SpacesConfig } from "./sections/spaces";
import type { WalgConfig } from "./sections/walg";

/** Keys whose value is an object (the language host passes it JSON-encoded). */
export const STRUCTURED_KEYS = [
    "namespaces", "postgres", "walg", "spaces", "schedules", "retention", "network", "drills", "recovery", "rollback", "ha", "migration", "alerts",
] as const;

/** Keys holding credentials: must be set with `pulumi config set --secret`. */
export const SECRET_KEYS = [
    "spacesReadWriteKeyId", "spacesReadWriteSecret", "spacesReadOnlyKeyId", "spacesReadOnlySecret",
    "walgLibsodiumKey", "postgresPassword",
] as const;
export type SecretKey = typeof SECRET_KEYS[number];

/** Every key the program reads; any other `ternent-postgres:` key is a problem (a typo). */
export const TOP_LEVEL_KEYS = [
    "protect", "namespaces", "postgres", "walg", "spaces", "schedules", "retention", "network", "drills", "alerts", "adopt",
    "dataGeneration", "recovery", "rollback", "profile", "ha", "migration", ...SECRET_KEYS,
] as const;

/** Values derived from the config for the pods. */
export interface DerivedValues {
    /** Worst-case seconds between two canary rows (undefined when the canary is off). */
    readonly canaryIntervalSeconds?: number;
    /** verify.sh calls archiving unhealthy when the last archived WAL is older than this. */
    readonly verifyMaxArchiveAgeSeconds: number;
    /**
     * verify.sh calls archiving stalled when a completed WAL segment has waited longer than this to be
     * archived (= archive_timeout: with the switch archive_timeout forces, a stall shows within 2 × it).
     */
    readonly verifyMaxReadyAgeSeconds: number;
    /** Object prefix of the current generation. */
    readonly currentPrefix: string;
}

export interface StackConfig {
    readonly stack: string;
    readonly protect: boolean;
    readonly adopt: boolean;
    readonly namespaces: NamespacesConfig;
    readonly postgres: PostgresConfig;
    readonly walg: WalgConfig;
    readonly spaces: SpacesConfig;
    /** Set iff spaces.useExisting. */
    readonly existing?: ExistingCredentials;
    readonly schedules: Schedules;
    readonly retention: RetentionConfig;
    readonly network: NetworkConfig;
    readonly drills: DrillsConfig;
    readonly alerts: AlertsConfig;
    readonly dataGeneration: number;
    /**
     * Highest generation this stack ever ran: PVCs 1..dataGenerationMax stay declared and prefixes up to
     * it are never written by a new generation. From the config alone until checkAgainstPrevious adds
     * the previous deployment's.
     */
    readonly dataGenerationMax: number;
    readonly recovery?: RecoveryConfig;
    readonly rollback?: RollbackConfig;
    /** single: one PostgreSQL pod (StatefulSet); ha: the operator's cluster (docs/ha.md). */
    readonly profile: Profile;
    /** Set iff profile is ha. */
    readonly ha?: HaConfig;
    /** The single node's move into the ha cluster (profile ha only). */
    readonly migration?: MigrationConfig;
    /** The password the database was initialised with (adopt); generated when absent. */
    readonly postgresPassword?: pulumi.Output<string>;
    readonly derived: DerivedValues;
    /** The clock validation used (TERNENT_NOW or real time). */
    readonly now: Date;
}

/** Freezes a typed config all the way down (Outputs are left alone). */
export function deepFreeze<T>(value: T): T {
    if (value !== null && typeof value === "object" && !pulumi.Output.isInstance(value) && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const v of Object.values(value as object)) {
            deepFreeze(v);
        }
    }
    return value;
}
