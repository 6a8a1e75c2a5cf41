// Validates one stack's raw config into a StackConfig. Two kinds of findings:
// - problems: values that cannot work (malformed cron, zero storage, unknown region, bad sha256,
//   unpinned images, retention 0, recovery targets in the future, …). They are collected and thrown
//   together as one ConfigError at preview, each naming the full key, the bad value and what is allowed.
// - warnings: values that work but weaken recoverability below what the policy pack enforces
//   (warnings.ts). The caller logs them.
// Pure: no engine, no clock, no environment (load.ts reads those).

import { NAMES } from "../lib/contract";
import { ConfigError } from "./errors";
import { deriveValues } from "./derived";
import { Reader } from "./reader";
import { deepFreeze, STRUCTURED_KEYS, StackConfig, TOP_LEVEL_KEYS } from "./schema";
import {
    checkAdoption, checkProviderFlags, readAlerts, readDrills, readNamespaces, readNetwork, readPostgres, readRecovery, readRetention,
    checkProfile, readHa, readMigration, readProfile, readRollback, readSchedules, readSecrets, readSpaces, readWalg,
} from "./sections";
import { policyWarnings } from "./warnings";

/** What the validator reads: raw config values (keys without the project prefix) and context. */
export interface RawStackConfig {
    readonly stack: string;
    /** key (e.g. "postgres") → raw string as the language host passes it (objects JSON-encoded). */
    readonly values: Readonly<Record<string, string>>;
    /** Keys (without prefix) whose values are secret. */
    readonly secretKeys: readonly string[];
    /** The `kubernetes:` provider config (enableSecretMutable, enableConfigMapMutable). */
    readonly kubernetes: Readonly<Record<string, string>>;
    readonly now: Date;
}

export interface ValidatedConfig {
    readonly config: StackConfig;
    readonly warnings: readonly string[];
}

function parseRaw(r: Reader, key: string, raw: string | undefined): unknown {
    if (raw === undefined) {
        return undefined;
    }
    if (!(STRUCTURED_KEYS as readonly string[]).includes(key)) {
        return raw;
    }
    try {
        return JSON.parse(raw);
    } catch {
        r.problem(key, raw, "is not an object (structured config expected, see docs/architecture.md)");
        return undefined;
    }
}

/** Validates one stack's raw config. Throws ConfigError listing every problem; returns warnings. */
export function validateStackConfig(input: RawStackConfig): ValidatedConfig {
    const r = new Reader();
    for (const key of Object.keys(input.values)) {
        if (!(TOP_LEVEL_KEYS as readonly string[]).includes(key)) {
            r.problem(key, input.values[key].length > 60 ? "(long value)" : input.values[key],
                `is not a known key (a typo?): allowed keys are ${TOP_LEVEL_KEYS.join(", ")}`);
        }
    }
    const parsed = new Map<string, unknown>();
    for (const key of TOP_LEVEL_KEYS) {
        parsed.set(key, parseRaw(r, key, input.values[key]));
    }
    const raw = (key: string): unknown => parsed.get(key);

    const protect = r.bool("protect", raw("protect"), false);
    const adopt = r.bool("adopt", raw("adopt"), false);
    const namespaces = readNamespaces(r, raw("namespaces"), input.stack);
    const postgres = readPostgres(r, raw("postgres"));
    const walg = readWalg(r, raw("walg"));
    const spaces = readSpaces(r, raw("spaces"), input.stack);
    const schedules = readSchedules(r, raw("schedules"));
    const retention = readRetention(r, raw("retention"));
    const network = readNetwork(r, raw("network"));
    const drills = readDrills(r, raw("drills"), schedules, input.now);
    const alerts = readAlerts(r, raw("alerts"), input.secretKeys.includes("alerts"));
    const dataGeneration = r.integer("dataGeneration", raw("dataGeneration"), 0, 0, 1000);
    const { existing, postgresPassword } = readSecrets(r, input.values, input.secretKeys, spaces.useExisting);
    checkAdoption(r, adopt, input.values.postgresPassword, raw("spaces"));
    checkProviderFlags(r, input.kubernetes, protect);
    const recovery = readRecovery(r, raw("recovery"), dataGeneration, spaces.prefix, retention.pitrDays, input.now);
    const rollback = readRollback(r, raw("rollback"), dataGeneration, recovery);
    const profile = readProfile(r, raw("profile"));
    const ha = readHa(r, raw("ha"), profile, NAMES.postgres);
    const migration = readMigration(r, raw("migration"), profile, dataGeneration, spaces.prefix, input.now);
    checkProfile(r, profile, recovery, rollback);
    const derived = deriveValues(postgres, schedules, spaces, dataGeneration);
    policyWarnings(r, { postgres, walg, spaces, schedules, retention, verifyMaxReadyAgeSeconds: derived.verifyMaxReadyAgeSeconds });

    if (r.problems.length > 0) {
        throw new ConfigError(r.problems);
    }
    const config: StackConfig = {
        stack: input.stack,
        protect,
        adopt,
        namespaces,
        postgres,
        walg,
        spaces,
        existing,
        schedules,
        retention,
        network,
        drills,
        alerts,
        dataGeneration,
        dataGenerationMax: Math.max(dataGeneration, rollback?.fromGeneration ?? 0),
        recovery,
        rollback,
        profile,
        ha,
        migration,
        postgresPassword,
        derived,
        now: input.now,
    };
    return { config: deepFreeze(config), warnings: r.warnings };
}
