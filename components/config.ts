// The one place the stack config is read. Every `ternent-postgres:` key is parsed and validated here
// into a typed, readonly StackConfig; components never call `new pulumi.Config()`.
//
// Two kinds of findings:
// - problems: values that cannot work (malformed cron, zero storage, unknown region, bad sha256,
//   unpinned images, retention 0, recovery targets in the future, …). They are collected and thrown
//   together as one ConfigError at preview, each naming the full key, the bad value and what is allowed.
// - warnings: values that work but weaken recoverability below what the policy pack enforces
//   (retention below 7/4/7, archive_timeout above 60 s, a job switched off, a DR key that can write).
//   The program only warns and still renders, because those thresholds belong to the mandatory policy
//   pack and are configurable there (--policy-pack-config); a hard-coded floor here would defeat that.

import * as pulumi from "@pulumi/pulumi";
import { CronError, maxIntervalSeconds, parseCron } from "../policy/lib/cron";
import { generationNames, SPACES_REGIONS, Weekday, WEEKDAYS } from "../lib/contract";
import { fetchRetryWorstCase, FetchRetryWorstCase, THROTTLE_DELAYS_MS } from "../policy/lib/walg-retry";
import WALG_RELEASE from "../lib/walg-release.json";

export const PROJECT = "ternent-postgres";

/** A config value that cannot work; thrown at preview (a RunError prints without a stack trace). */
export class ConfigError extends pulumi.RunError {
    readonly problems: readonly string[];
    constructor(problems: readonly string[]) {
        super(problems.length === 1
            ? problems[0]
            : `${problems.length} problems in the stack config:\n  - ${problems.join("\n  - ")}`);
        this.name = "ConfigError";
        this.problems = problems;
    }
}

export type KeyPermission = "read" | "readwrite" | "fullaccess";
export const KEY_PERMISSIONS: readonly KeyPermission[] = ["read", "readwrite", "fullaccess"];

export const JOBS = ["backup", "retention", "restoreDrill", "pitrDrill", "canary", "verify"] as const;
export type JobName = typeof JOBS[number];

export interface ResourceList {
    readonly cpu: string;
    readonly memory: string;
}

export interface PostgresConfig {
    readonly image: string;
    readonly storageClass: string;
    readonly storageSize: string;
    /** Name of the StatefulSet's claim template (generation 0's PVC is `<name>-ternent-postgres-0`). */
    readonly volumeClaimTemplate: string;
    /** The StatefulSet's governing service name (immutable; must match the bundle's when adopting). */
    readonly serviceName: string;
    readonly database: string;
    readonly user: string;
    readonly archiveTimeoutSeconds: number;
    readonly resources: { readonly requests: ResourceList; readonly limits: ResourceList };
    /** The StatefulSet's selector (immutable; must match the bundle's when adopting). */
    readonly selectorLabels: Readonly<Record<string, string>>;
}

export interface WalgConfig {
    readonly version: string;
    readonly url: string;
    readonly sha256: string;
    readonly installerImage: string;
    readonly compression: string;
    readonly uploadConcurrency: number;
    readonly downloadConcurrency: number;
    /** The one retry policy of every WAL-G consumer (lib/walg-retry.ts). */
    readonly retries: WalgRetries;
}

/** WAL-G's retries, bounded: every pod that runs wal-g gets the same settings (components/postgres.ts walgTuning). */
export interface WalgRetries {
    /** WALG_DOWNLOAD_FILE_RETRIES: rounds backup-fetch retries a file that failed (sleeping 1, 2, 4, 5, … min). */
    readonly fileRetries: number;
    /** WALG_S3_MAX_RETRIES: retries of one S3 request (connection errors, 5xx, throttling). */
    readonly requestRetries: number;
    /** The bound: the worst case below must not exceed it (seconds). */
    readonly maxSeconds: number;
    /** Worst-case wait of backup-fetch on one object that never reads, with these settings and walg.downloadConcurrency. */
    readonly worstCase: FetchRetryWorstCase;
}

export interface SpacesConfig {
    readonly region: string;
    readonly bucket: string;
    /** Object prefix of generation 0. */
    readonly prefix: string;
    readonly useExisting: boolean;
    /** Grant of the key DR and the drills use. */
    readonly drKeyPermission: KeyPermission;
    /** https://<region>.digitaloceanspaces.com */
    readonly endpoint: string;
}

/** Bucket credentials from secret config (spaces.useExisting). */
export interface ExistingCredentials {
    readonly readWriteKeyId: pulumi.Output<string>;
    readonly readWriteSecret: pulumi.Output<string>;
    readonly readOnlyKeyId: pulumi.Output<string>;
    readonly readOnlySecret: pulumi.Output<string>;
    readonly libsodiumKey: pulumi.Output<string>;
}

/** A job runs iff its schedule is set. */
export type Schedules = { readonly [J in JobName]?: string };

export interface RetentionConfig {
    readonly daily: number;
    readonly weekly: number;
    readonly pitrDays: number;
    readonly weeklyDay: Weekday;
    readonly dryRun: boolean;
}

export interface RecoveryConfig {
    /** As configured: latest, an RFC 3339 time, or a backup name. */
    readonly target: string;
    readonly targetKind: "latest" | "time" | "backup";
    readonly scaleApi: boolean;
    readonly apiReplicas: number;
    /** Generation restored into (= dataGeneration). */
    readonly generation: number;
    /** recovery.fromGeneration as configured (roll forward to another generation's history). */
    readonly fromGeneration?: number;
    /** Generation restored from: recovery.fromGeneration, else the one the previous deployment runs on (N−1 without history). */
    readonly sourceGeneration: number;
    /** Prefix of sourceGeneration. */
    readonly sourcePrefix: string;
}

/** Going back to an older generation's PVC and prefix (docs/architecture.md, "Data generations and recovery"). */
export interface RollbackConfig {
    /** The generation the database leaves (the one the previous deployment runs on). */
    readonly fromGeneration: number;
    /** The generation it goes back to (= dataGeneration). */
    readonly toGeneration: number;
    readonly scaleApi: boolean;
    readonly apiReplicas: number;
}

export interface DrillsConfig {
    /** Extra SQL both drills run on the restored database (must succeed); empty: none. */
    readonly smokeSql: string;
    /** The PITR drill's target: `random` (inside the window the backups cover) or an RFC 3339 time. */
    readonly pitrTarget: string;
}

export interface StackConfig {
    readonly stack: string;
    readonly protect: boolean;
    readonly adopt: boolean;
    readonly namespaces: { readonly primary: string; readonly dr: string };
    readonly postgres: PostgresConfig;
    readonly walg: WalgConfig;
    readonly spaces: SpacesConfig;
    /** Set iff spaces.useExisting. */
    readonly existing?: ExistingCredentials;
    readonly schedules: Schedules;
    readonly retention: RetentionConfig;
    readonly network: { readonly apiPodSelector: Readonly<Record<string, string>> };
    readonly drills: DrillsConfig;
    readonly dataGeneration: number;
    /**
     * Highest generation this stack ever ran: PVCs 1..dataGenerationMax stay declared and prefixes up to
     * it are never written by a new generation. From the config alone until checkAgainstPrevious adds
     * the previous deployment's.
     */
    readonly dataGenerationMax: number;
    readonly recovery?: RecoveryConfig;
    readonly rollback?: RollbackConfig;
    /** The password the database was initialised with (adopt); generated when absent. */
    readonly postgresPassword?: pulumi.Output<string>;
    /** Values derived from the above for the pods. */
    readonly derived: {
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
    };
    /** The clock validation used (TERNENT_NOW or real time). */
    readonly now: Date;
}

// ---------------------------------------------------------------------------------------------
// Defaults (the `dev` stack uses all of them).

export const DEFAULTS = {
    namespaces: { primary: "backend", dr: "backend-dr" },
    postgres: {
        image: "postgres:15.18-bookworm",
        storageClass: "do-block-storage",
        storageSize: "10Gi",
        volumeClaimTemplate: "data",
        serviceName: "ternent-postgres",
        database: "ternent",
        user: "ternent",
        archiveTimeoutSeconds: 60,
        // Cheap profile: the Postgres container requests at most 250m CPU and 512Mi memory.
        resources: { requests: { cpu: "250m", memory: "512Mi" }, limits: { cpu: "1", memory: "1Gi" } },
        selectorLabels: { "app.kubernetes.io/name": "ternent-postgres", "app.kubernetes.io/component": "database" },
    },
    walg: {
        // The one pin of the WAL-G release (lib/walg-release.json): lab/install.sh downloads the same
        // asset. Two independent public pins agree on the digest; the init container verifies it at
        // every start and fails closed on a mismatch.
        version: WALG_RELEASE.version,
        url: WALG_RELEASE.url,
        sha256: WALG_RELEASE.sha256,
        installerImage: "curlimages/curl:8.11.1",
        compression: "lz4",
        uploadConcurrency: 4,
        downloadConcurrency: 4,
        // backup-fetch gives up on an unreadable object after 7 min of sleeps (1 + 2 + 4) plus 4 × 25 s of
        // request retries = 520 s worst case, instead of WAL-G's 67 minutes (15 rounds, 15 request retries).
        retries: { fileRetries: 3, requestRetries: 5, maxSeconds: 600 },
    },
    spaces: { region: "fra1", prefix: "ternent-postgres", useExisting: false, drKeyPermission: "read" as KeyPermission },
    schedules: {
        backup: "0 2 * * *",
        retention: "30 3 * * *",
        restoreDrill: "0 5 * * *",
        pitrDrill: "0 6 1 * *",
        canary: "*/5 * * * *",
        // Every minute: a stalled archiver is reported within ready-age limit (archive_timeout) + 60 s.
        verify: "* * * * *",
    } as Required<Schedules>,
    retention: { daily: 7, weekly: 4, pitrDays: 7, weeklyDay: "sunday" as Weekday, dryRun: false },
    network: { apiPodSelector: { app: "ternent-api" } },
    recovery: { scaleApi: true, apiReplicas: 1 },
    rollback: { scaleApi: true, apiReplicas: 1 },
} as const;

/** The thresholds the policy pack enforces by default; below them the program warns. */
export const POLICY_MINIMUMS = {
    dailyBackups: 7,
    weeklyBackups: 4,
    pitrDays: 7,
    maxArchiveTimeoutSeconds: 60,
    /** Seconds: a base backup at least daily, a restore drill weekly, a PITR drill monthly (31 days). */
    backupEverySeconds: 86_400,
    restoreDrillEverySeconds: 7 * 86_400,
    pitrDrillEverySeconds: 31 * 86_400,
    /** verify's worst-case interval, in archive_timeouts (policy archive-stall-detection). */
    verifyIntervalArchiveTimeouts: 2,
    /** Worst-case retry wait of backup-fetch on one unreadable object, seconds (policy walg-retries-bounded). */
    maxRetrySeconds: 900,
};

/** Names of the policies a warning refers to (pack ternent-postgres-recoverability, policy/policies/). */
export const POLICY_NAMES = {
    retentionDaily: "retention-daily-backups",
    retentionWeekly: "retention-weekly-backups",
    pitrWindow: "retention-pitr-window",
    backupSchedule: "base-backup-daily",
    retentionJob: "retention-job-scheduled",
    archive: "archive-timeout",
    restoreDrill: "restore-drill-weekly",
    pitrDrill: "pitr-drill-monthly",
    drKey: "dr-read-only-key",
    stall: "archive-stall-detection",
    retries: "walg-retries-bounded",
} as const;

/** The policy that refuses a stack without this job (the canary is not policy-mandated). */
const JOB_POLICY: { readonly [J in JobName]?: string } = {
    backup: POLICY_NAMES.backupSchedule,
    retention: POLICY_NAMES.retentionJob,
    restoreDrill: POLICY_NAMES.restoreDrill,
    pitrDrill: POLICY_NAMES.pitrDrill,
    verify: POLICY_NAMES.stall,
};

// ---------------------------------------------------------------------------------------------
// Parsing helpers.

const TOP_LEVEL_KEYS = [
    "protect", "namespaces", "postgres", "walg", "spaces", "schedules", "retention", "network", "drills", "adopt",
    "dataGeneration", "recovery", "rollback",
    "spacesReadWriteKeyId", "spacesReadWriteSecret", "spacesReadOnlyKeyId", "spacesReadOnlySecret",
    "walgLibsodiumKey", "postgresPassword",
] as const;
const SECRET_KEYS = [
    "spacesReadWriteKeyId", "spacesReadWriteSecret", "spacesReadOnlyKeyId", "spacesReadOnlySecret",
    "walgLibsodiumKey", "postgresPassword",
] as const;
type SecretKey = typeof SECRET_KEYS[number];

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const PG_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
const SHA256 = /^[0-9a-f]{64}$/;
const BACKUP_NAME = /^base_[0-9A-F]{24}$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

function show(value: unknown): string {
    const text = typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
    return text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

/** Binary and decimal Kubernetes quantity suffixes. */
const QUANTITY_FACTORS: Record<string, number> = {
    "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** Parses a Kubernetes quantity ("250m", "1", "512Mi", "10Gi"); undefined when malformed. */
export function parseQuantity(text: string): number | undefined {
    const m = /^(\d+(?:\.\d+)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(text);
    if (!m) {
        return undefined;
    }
    return Number(m[1]) * QUANTITY_FACTORS[m[2] ?? ""];
}

/** Image reference with a pinned tag (never latest) or digest; returns the tag, or an error text. */
function checkImage(image: string): { tag?: string; error?: string } {
    if (/\s/.test(image) || image === "") {
        return { error: "is not an image reference" };
    }
    const [nameAndTag, digest] = image.split("@");
    if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(digest)) {
        return { error: "has a malformed digest; allowed: <image>:<tag> or <image>:<tag>@sha256:<64 hex>" };
    }
    const lastSlash = nameAndTag.lastIndexOf("/");
    const colon = nameAndTag.indexOf(":", lastSlash + 1);
    if (colon < 0) {
        // A digest alone pins the image completely.
        return digest !== undefined ? {} : { error: "is not pinned: allowed is <image>:<tag> with an explicit version tag (never untagged or latest)" };
    }
    const tag = nameAndTag.slice(colon + 1);
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) {
        return { error: `has a malformed tag "${tag}"` };
    }
    if (tag.toLowerCase() === "latest") {
        return { error: "uses the tag latest: allowed is an explicit version tag (e.g. 15.18-bookworm), never latest" };
    }
    return { tag };
}

/** Parses strict RFC 3339 with a zone; undefined when malformed or not a real date. */
export function parseRfc3339(text: string): Date | undefined {
    const m = RFC3339.exec(text);
    if (!m) {
        return undefined;
    }
    const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
    const check = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
    if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d ||
        h > 23 || mi > 59 || s > 59) {
        return undefined;
    }
    const date = new Date(text.toUpperCase());
    return Number.isNaN(date.getTime()) ? undefined : date;
}

type Obj = Record<string, unknown>;

/** Collects problems and warnings while reading one stack's config. */
class Reader {
    readonly problems: string[] = [];
    readonly warnings: string[] = [];

    key(path: string): string {
        return `${PROJECT}:${path}`;
    }

    problem(path: string, value: unknown, text: string): void {
        this.problems.push(`${this.key(path)} = ${show(value)} ${text}`);
    }

    secretProblem(path: string, text: string): void {
        this.problems.push(`${this.key(path)} (secret, value not shown) ${text}`);
    }

    warn(text: string): void {
        this.warnings.push(text);
    }

    /** A structured value: must be an object whose fields are all known. */
    object(path: string, value: unknown, fields: readonly string[]): Obj | undefined {
        if (value === undefined) {
            return undefined;
        }
        if (value === null || typeof value !== "object" || Array.isArray(value)) {
            this.problem(path, value, `is not an object: allowed fields are ${fields.join(", ")}`);
            return undefined;
        }
        const obj = value as Obj;
        for (const field of Object.keys(obj)) {
            if (!fields.includes(field)) {
                this.problem(`${path}.${field}`, obj[field], `is not a known field of ${this.key(path)} (a typo?): allowed fields are ${fields.join(", ")}`);
            }
        }
        return obj;
    }

    string(path: string, value: unknown, fallback: string): string {
        if (value === undefined) {
            return fallback;
        }
        if (typeof value !== "string" || value.trim() === "") {
            this.problem(path, value, "is not allowed: must be a non-empty string");
            return fallback;
        }
        return value;
    }

    bool(path: string, value: unknown, fallback: boolean): boolean {
        if (value === undefined) {
            return fallback;
        }
        if (value === true || value === "true") {
            return true;
        }
        if (value === false || value === "false") {
            return false;
        }
        this.problem(path, value, "is not a boolean: allowed values are true and false");
        return fallback;
    }

    integer(path: string, value: unknown, fallback: number, min: number, max: number, what = ""): number {
        if (value === undefined) {
            return fallback;
        }
        const n = typeof value === "number" ? value : typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
        if (!Number.isInteger(n) || n < min || n > max) {
            this.problem(path, value, `is not allowed: must be an integer from ${min} to ${max}${what}`);
            return fallback;
        }
        return n;
    }

    oneOf<T extends string>(path: string, value: unknown, fallback: T, allowed: readonly T[]): T {
        if (value === undefined) {
            return fallback;
        }
        const text = typeof value === "string" ? value.toLowerCase() : value;
        if (typeof text !== "string" || !(allowed as readonly string[]).includes(text)) {
            this.problem(path, value, `is not allowed: must be one of ${allowed.join(", ")}`);
            return fallback;
        }
        return text as T;
    }

    labels(path: string, value: unknown, fallback: Readonly<Record<string, string>>, nonEmpty: boolean): Readonly<Record<string, string>> {
        if (value === undefined) {
            return fallback;
        }
        if (value === null || typeof value !== "object" || Array.isArray(value)) {
            this.problem(path, value, "is not a label map: allowed is an object of label key → string value");
            return fallback;
        }
        const entries = Object.entries(value as Obj);
        if (nonEmpty && entries.length === 0) {
            this.problem(path, value, "is empty: it must select at least one label (an empty selector matches every pod)");
            return fallback;
        }
        let ok = true;
        for (const [k, v] of entries) {
            if (!LABEL_KEY.test(k) || typeof v !== "string" || !LABEL_VALUE.test(v)) {
                this.problem(`${path}.${k}`, v, "is not a valid Kubernetes label: keys are [prefix/]name, values up to 63 characters of [A-Za-z0-9-_.]");
                ok = false;
            }
        }
        return ok ? Object.fromEntries(entries) as Record<string, string> : fallback;
    }

    quantity(path: string, value: unknown, fallback: string, kind: "cpu" | "memory" | "storage"): string {
        const text = typeof value === "number" ? String(value) : value;
        const s = this.string(path, text, fallback);
        const q = parseQuantity(s);
        const example = kind === "cpu" ? "250m or 1" : kind === "memory" ? "512Mi" : "10Gi";
        if (q === undefined) {
            this.problem(path, value, `is not a Kubernetes quantity: allowed is a number with an optional unit suffix (e.g. ${example})`);
            return fallback;
        }
        if (kind === "storage" && q < 2 ** 30) {
            this.problem(path, value, "is not allowed: the volume must be at least 1Gi (DigitalOcean block storage minimum), e.g. 10Gi");
            return fallback;
        }
        if (q <= 0) {
            this.problem(path, value, `is not allowed: must be greater than zero (e.g. ${example})`);
            return fallback;
        }
        return s;
    }

    cron(path: string, value: unknown): string | undefined {
        if (typeof value !== "string") {
            this.problem(path, value, "is not a cron schedule: allowed is a 5-field cron expression in UTC (minute hour day-of-month month day-of-week)");
            return undefined;
        }
        try {
            const spec = parseCron(value);
            if (maxIntervalSeconds(spec) === Infinity) {
                this.problem(path, value, "never fires more than once (e.g. a date that does not exist): allowed is a 5-field cron expression in UTC that repeats");
                return undefined;
            }
        } catch (e) {
            if (e instanceof CronError) {
                this.problem(path, value, `is not a valid cron schedule: ${e.message}`);
                return undefined;
            }
            throw e;
        }
        return value;
    }
}

// ---------------------------------------------------------------------------------------------
// The validator.

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
    const structured = ["namespaces", "postgres", "walg", "spaces", "schedules", "retention", "network", "drills", "recovery", "rollback"];
    if (!structured.includes(key)) {
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

    // namespaces
    const nsObj = r.object("namespaces", raw("namespaces"), ["primary", "dr"]) ?? {};
    const namespaces = {
        primary: r.string("namespaces.primary", nsObj.primary, DEFAULTS.namespaces.primary),
        dr: r.string("namespaces.dr", nsObj.dr, DEFAULTS.namespaces.dr),
    };
    for (const [field, value] of Object.entries(namespaces)) {
        if (!DNS_LABEL.test(value)) {
            r.problem(`namespaces.${field}`, value, "is not a valid namespace name: allowed are 1-63 characters of a-z, 0-9 and -, starting and ending alphanumeric");
        }
    }
    if (namespaces.primary === namespaces.dr) {
        r.problem("namespaces.dr", namespaces.dr, "is the same as namespaces.primary: the DR namespace must be a separate namespace");
    }

    const postgres = readPostgres(r, raw("postgres"));
    const walg = readWalg(r, raw("walg"));
    const spaces = readSpaces(r, raw("spaces"), input.stack);
    const schedules = readSchedules(r, raw("schedules"));
    const retention = readRetention(r, raw("retention"));

    const netObj = r.object("network", raw("network"), ["apiPodSelector"]) ?? {};
    const network = { apiPodSelector: r.labels("network.apiPodSelector", netObj.apiPodSelector, DEFAULTS.network.apiPodSelector, true) };
    const drills = readDrills(r, raw("drills"));

    const dataGeneration = r.integer("dataGeneration", raw("dataGeneration"), 0, 0, 1000);
    const currentPrefix = generationNames.prefix(spaces.prefix, dataGeneration);

    // Secret config.
    const secretValue = (key: SecretKey): string | undefined => {
        const value = input.values[key];
        if (value !== undefined && !input.secretKeys.includes(key)) {
            r.problems.push(`${r.key(key)} is set in plain text: it is a credential, set it with \`pulumi config set --secret ${key} …\``);
        }
        return value;
    };
    const secrets = Object.fromEntries(SECRET_KEYS.map((k) => [k, secretValue(k)])) as Record<SecretKey, string | undefined>;
    let existing: ExistingCredentials | undefined;
    const storageSecrets: SecretKey[] = ["spacesReadWriteKeyId", "spacesReadWriteSecret", "spacesReadOnlyKeyId", "spacesReadOnlySecret", "walgLibsodiumKey"];
    if (spaces.useExisting) {
        const missing = storageSecrets.filter((k) => secrets[k] === undefined || secrets[k] === "");
        for (const k of missing) {
            r.problems.push(`${r.key(k)} is missing: ${r.key("spaces.useExisting")} is true, so the existing bucket's credentials come from secret config ` +
                `(pulumi config set --secret ${k} …); required: ${storageSecrets.join(", ")}`);
        }
        const sodium = secrets.walgLibsodiumKey;
        if (sodium !== undefined && sodium !== "" && !SHA256.test(sodium)) {
            r.secretProblem("walgLibsodiumKey", "is not a WAL-G libsodium key: allowed are exactly 64 lower-case hex digits (32 bytes, WALG_LIBSODIUM_KEY_TRANSFORM=hex)");
        }
        if (missing.length === 0) {
            existing = {
                readWriteKeyId: pulumi.secret(secrets.spacesReadWriteKeyId!),
                readWriteSecret: pulumi.secret(secrets.spacesReadWriteSecret!),
                readOnlyKeyId: pulumi.secret(secrets.spacesReadOnlyKeyId!),
                readOnlySecret: pulumi.secret(secrets.spacesReadOnlySecret!),
                libsodiumKey: pulumi.secret(secrets.walgLibsodiumKey!),
            };
        }
    } else {
        for (const k of storageSecrets) {
            if (secrets[k] !== undefined) {
                r.problems.push(`${r.key(k)} is set but ${r.key("spaces.useExisting")} is false: the program creates the bucket, keys and ` +
                    "libsodium key itself and would ignore it; remove it, or set spaces.useExisting: true");
            }
        }
    }
    let postgresPassword: pulumi.Output<string> | undefined;
    if (secrets.postgresPassword !== undefined) {
        if (secrets.postgresPassword.length < 8) {
            r.secretProblem("postgresPassword", "is too short: allowed are passwords of at least 8 characters");
        }
        postgresPassword = pulumi.secret(secrets.postgresPassword);
    }

    // Adoption of the kubectl bundle.
    if (adopt) {
        if (secrets.postgresPassword === undefined) {
            r.problems.push(`${r.key("postgresPassword")} is missing: ${r.key("adopt")} is true, so Secret ternent-postgres must keep the password the ` +
                "existing database was initialised with; set it with `pulumi config set --secret postgresPassword …`");
        }
        const spacesObj = raw("spaces");
        if (spacesObj === null || typeof spacesObj !== "object" || (spacesObj as Obj).prefix === undefined) {
            r.problems.push(`${r.key("spaces.prefix")} is not set: ${r.key("adopt")} is true, and encrypted backups must start under a new prefix ` +
                "because the bundle's archive is unencrypted; set spaces.prefix to a prefix the bundle never used");
        }
    }

    // The Kubernetes provider must update Secrets/ConfigMaps in place: by default it replaces them on
    // any change, which `protect` refuses (and which briefly deletes them otherwise).
    for (const flag of ["enableSecretMutable", "enableConfigMapMutable"]) {
        if (input.kubernetes[flag] !== "true") {
            const text = `kubernetes:${flag} = ${show(input.kubernetes[flag] ?? null)}: must be "true" so that changed Secrets/ConfigMaps ` +
                "(e.g. a recovery's new WAL-G prefix) are updated in place instead of replaced";
            if (protect) {
                r.problems.push(`${text}; with ${r.key("protect")} true a replacement is refused and pulumi up would fail halfway`);
            } else {
                r.warn(`${text} (replacing them deletes and recreates them)`);
            }
        }
    }

    // Recovery.
    const recovery = readRecovery(r, raw("recovery"), dataGeneration, spaces.prefix, retention.pitrDays, input.now);
    const rollback = readRollback(r, raw("rollback"), dataGeneration, recovery);

    // Derived values.
    const canaryIntervalSeconds = schedules.canary ? maxIntervalSeconds(parseCron(schedules.canary)) : undefined;
    const verifyMaxArchiveAgeSeconds = canaryIntervalSeconds !== undefined
        ? canaryIntervalSeconds + postgres.archiveTimeoutSeconds + 300
        : 3600 + postgres.archiveTimeoutSeconds;
    const verifyMaxReadyAgeSeconds = postgres.archiveTimeoutSeconds;

    policyWarnings(r, postgres, walg, spaces, schedules, retention, verifyMaxReadyAgeSeconds);

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
        dataGeneration,
        dataGenerationMax: Math.max(dataGeneration, rollback?.fromGeneration ?? 0),
        recovery,
        rollback,
        postgresPassword,
        derived: { canaryIntervalSeconds, verifyMaxArchiveAgeSeconds, verifyMaxReadyAgeSeconds, currentPrefix },
        now: input.now,
    };
    return { config: deepFreeze(config), warnings: r.warnings };
}

function readDrills(r: Reader, value: unknown): DrillsConfig {
    const o = r.object("drills", value, ["smokeSql", "pitrTarget"]) ?? {};
    const smokeSql = r.string("drills.smokeSql", o.smokeSql, "");
    const pitrTarget = r.string("drills.pitrTarget", o.pitrTarget, "random");
    if (pitrTarget !== "random" && parseRfc3339(pitrTarget) === undefined) {
        r.problem("drills.pitrTarget", pitrTarget, "is not allowed: must be random or an RFC 3339 time with a zone (e.g. 2025-01-31T12:00:00Z)");
    }
    return { smokeSql, pitrTarget };
}

function readPostgres(r: Reader, value: unknown): PostgresConfig {
    const d = DEFAULTS.postgres;
    const o = r.object("postgres", value, [
        "image", "storageClass", "storageSize", "volumeClaimTemplate", "serviceName", "database", "user",
        "archiveTimeoutSeconds", "resources", "selectorLabels",
    ]) ?? {};
    const image = r.string("postgres.image", o.image, d.image);
    const img = checkImage(image);
    if (img.error) {
        r.problem("postgres.image", image, img.error);
    } else if (img.tag === undefined) {
        r.warn(`${r.key("postgres.image")} = ${show(image)} is pinned by digest only: make sure it is a Debian-based PostgreSQL 15 image (the WAL-G build needs glibc)`);
    } else {
        if (/alpine/i.test(img.tag)) {
            r.problem("postgres.image", image, "is an Alpine (musl) image: the pinned WAL-G build is for glibc; allowed are Debian-based PostgreSQL 15 tags (e.g. 15.18-bookworm)");
        } else if (!/^15(\.|-|$)/.test(img.tag)) {
            r.problem("postgres.image", image, "is not PostgreSQL 15: allowed are PostgreSQL 15 tags (e.g. 15.18-bookworm); a major upgrade needs pg_upgrade, not an image change");
        }
    }
    const storageClass = r.string("postgres.storageClass", o.storageClass, d.storageClass);
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(storageClass)) {
        r.problem("postgres.storageClass", storageClass, "is not a valid StorageClass name: allowed are lower-case DNS names (e.g. do-block-storage)");
    }
    const storageSize = r.quantity("postgres.storageSize", o.storageSize, d.storageSize, "storage");
    const dnsName = (path: string, v: unknown, fallback: string): string => {
        const s = r.string(path, v, fallback);
        if (!DNS_LABEL.test(s)) {
            r.problem(path, s, "is not a valid name: allowed are 1-63 characters of a-z, 0-9 and -, starting and ending alphanumeric");
        }
        return s;
    };
    const volumeClaimTemplate = dnsName("postgres.volumeClaimTemplate", o.volumeClaimTemplate, d.volumeClaimTemplate);
    const serviceName = dnsName("postgres.serviceName", o.serviceName, d.serviceName);
    const identifier = (path: string, v: unknown, fallback: string): string => {
        const s = r.string(path, v, fallback);
        if (!PG_IDENTIFIER.test(s)) {
            r.problem(path, s, "is not allowed: must be a plain PostgreSQL identifier (a-z, 0-9, _; starting with a letter or _; at most 63 characters)");
        }
        return s;
    };
    const database = identifier("postgres.database", o.database, d.database);
    const user = identifier("postgres.user", o.user, d.user);
    const archiveTimeoutSeconds = r.integer("postgres.archiveTimeoutSeconds", o.archiveTimeoutSeconds, d.archiveTimeoutSeconds, 10, 3600,
        " seconds (0 would switch archive_timeout off; below 10 s every idle second costs a 16 MiB segment)");

    const resObj = r.object("postgres.resources", o.resources, ["requests", "limits"]) ?? {};
    const list = (path: string, v: unknown, fallback: ResourceList): ResourceList => {
        const lo = r.object(path, v, ["cpu", "memory"]) ?? {};
        return {
            cpu: r.quantity(`${path}.cpu`, lo.cpu, fallback.cpu, "cpu"),
            memory: r.quantity(`${path}.memory`, lo.memory, fallback.memory, "memory"),
        };
    };
    const resources = {
        requests: list("postgres.resources.requests", resObj.requests, d.resources.requests),
        limits: list("postgres.resources.limits", resObj.limits, d.resources.limits),
    };
    for (const k of ["cpu", "memory"] as const) {
        if ((parseQuantity(resources.requests[k]) ?? 0) > (parseQuantity(resources.limits[k]) ?? Infinity)) {
            r.problem(`postgres.resources.requests.${k}`, resources.requests[k],
                `is above postgres.resources.limits.${k} = ${show(resources.limits[k])}: a request must not exceed its limit`);
        }
    }
    const selectorLabels = r.labels("postgres.selectorLabels", o.selectorLabels, d.selectorLabels, true);
    return {
        image, storageClass, storageSize, volumeClaimTemplate, serviceName, database, user, archiveTimeoutSeconds,
        resources, selectorLabels,
    };
}

function readWalg(r: Reader, value: unknown): WalgConfig {
    const d = DEFAULTS.walg;
    const o = r.object("walg", value, ["version", "url", "sha256", "installerImage", "compression", "uploadConcurrency", "downloadConcurrency", "retries"]) ?? {};
    const version = r.string("walg.version", o.version, d.version);
    if (!/^v\d+\.\d+\.\d+$/.test(version)) {
        r.problem("walg.version", version, "is not a pinned release: allowed is vMAJOR.MINOR.PATCH (e.g. v3.0.9), never latest");
    }
    const url = r.string("walg.url", o.url, d.url);
    if (!/^https:\/\/[^\s/]+\/\S+$/.test(url)) {
        r.problem("walg.url", url, "is not allowed: must be an https:// URL of a pinned release asset");
    } else if (/\/latest(\/|$)/i.test(url)) {
        r.problem("walg.url", url, "points at \"latest\": allowed is the URL of one pinned release asset (…/releases/download/<version>/<asset>)");
    } else if (!url.includes(version)) {
        r.warn(`${r.key("walg.url")} = ${show(url)} does not mention ${r.key("walg.version")} = ${show(version)}: check that the asset is that release`);
    }
    if ((o.sha256 === undefined && (o.url !== undefined || o.version !== undefined)) || o.sha256 === "") {
        r.problems.push(`${r.key("walg.sha256")} is missing: walg.url/walg.version are set, so the digest of that asset must be set too ` +
            "(allowed: 64 lower-case hex digits, the sha256 of the file walg.url points at)");
    }
    const sha256 = r.string("walg.sha256", o.sha256 === "" ? undefined : o.sha256, d.sha256);
    if (!SHA256.test(sha256)) {
        const why = /^[0-9a-fA-F]{64}$/.test(sha256) ? "has upper-case hex digits" : `has ${sha256.length} characters`;
        r.problem("walg.sha256", sha256, `${why}: allowed are exactly 64 lower-case hex digits (the sha256 of the file walg.url points at)`);
    }
    const installerImage = r.string("walg.installerImage", o.installerImage, d.installerImage);
    const img = checkImage(installerImage);
    if (img.error) {
        r.problem("walg.installerImage", installerImage, img.error);
    }
    const compression = r.oneOf("walg.compression", o.compression, d.compression, ["lz4", "zstd", "lzma", "brotli", "none"]);
    const uploadConcurrency = r.integer("walg.uploadConcurrency", o.uploadConcurrency, d.uploadConcurrency, 1, 64);
    const downloadConcurrency = r.integer("walg.downloadConcurrency", o.downloadConcurrency, d.downloadConcurrency, 1, 64);
    const retries = readRetries(r, o.retries, downloadConcurrency);
    return { version, url, sha256, installerImage, compression, uploadConcurrency, downloadConcurrency, retries };
}

/** walg.retries: the counts WAL-G gets and the bound their worst case must stay under. */
function readRetries(r: Reader, value: unknown, downloadConcurrency: number): WalgRetries {
    const d = DEFAULTS.walg.retries;
    const o = r.object("walg.retries", value, ["fileRetries", "requestRetries", "maxSeconds"]) ?? {};
    const before = r.problems.length;
    const fileRetries = r.integer("walg.retries.fileRetries", o.fileRetries, d.fileRetries, 0, 15,
        " (WALG_DOWNLOAD_FILE_RETRIES: rounds backup-fetch retries a failed file, sleeping 1, 2, 4, 5, 5, … minutes)");
    const requestRetries = r.integer("walg.retries.requestRetries", o.requestRetries, d.requestRetries, 0, 15,
        " (WALG_S3_MAX_RETRIES: retries of one S3 request)");
    const maxSeconds = r.integer("walg.retries.maxSeconds", o.maxSeconds, d.maxSeconds, 60, 21_600,
        " (seconds WAL-G may spend retrying one unreadable object; the restore Job runs at most 6 h)");
    const worstCase = fetchRetryWorstCase({
        fileRetries, requestRetries, downloadConcurrency,
        minThrottleDelayMs: THROTTLE_DELAYS_MS.min, maxThrottleDelayMs: THROTTLE_DELAYS_MS.max,
    });
    if (r.problems.length === before && worstCase.seconds > maxSeconds) {
        r.problems.push(`${r.key("walg.retries")} = ${show({ fileRetries, requestRetries, maxSeconds })} with ` +
            `${r.key("walg.downloadConcurrency")} = ${downloadConcurrency} lets backup-fetch retry one unreadable object for up to ` +
            `${worstCase.seconds} s (${worstCase.sleeps} rounds sleeping ${worstCase.sleepSeconds} s, ${worstCase.attempts} attempts × ` +
            `${worstCase.requestWaitSeconds} s of request retries), more than maxSeconds = ${maxSeconds}: allowed are settings whose worst case ` +
            `is at most maxSeconds (lower fileRetries, requestRetries or downloadConcurrency, or raise maxSeconds)`);
    }
    return { fileRetries, requestRetries, maxSeconds, worstCase };
}

function readSpaces(r: Reader, value: unknown, stack: string): SpacesConfig {
    const d = DEFAULTS.spaces;
    const o = r.object("spaces", value, ["region", "bucket", "prefix", "useExisting", "drKeyPermission"]) ?? {};
    const region = r.oneOf("spaces.region", o.region, d.region, SPACES_REGIONS);
    const bucket = r.string("spaces.bucket", o.bucket, `ternent-postgres-backups-${stack}`.slice(0, 63).replace(/-+$/, ""));
    if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket)) {
        r.problem("spaces.bucket", bucket, "is not a valid Spaces bucket name: allowed are 3-63 characters of a-z, 0-9 and -, starting and ending alphanumeric");
    }
    const prefix = r.string("spaces.prefix", o.prefix, d.prefix);
    if (!/^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/.test(prefix)) {
        r.problem("spaces.prefix", prefix, "is not allowed: must be a relative object prefix of a-z, 0-9, ., _, - and / (no leading or trailing /)");
    } else if (/-gen\d+$/.test(prefix)) {
        r.problem("spaces.prefix", prefix, "ends in -gen<N>, which is reserved for data generations (<prefix>-gen<N>): choose a prefix without it");
    }
    const useExisting = r.bool("spaces.useExisting", o.useExisting, d.useExisting);
    const drKeyPermission = r.oneOf("spaces.drKeyPermission", o.drKeyPermission, d.drKeyPermission, KEY_PERMISSIONS);
    return { region, bucket, prefix, useExisting, drKeyPermission, endpoint: `https://${region}.digitaloceanspaces.com` };
}

function readSchedules(r: Reader, value: unknown): Schedules {
    const o = r.object("schedules", value, JOBS);
    if (o === undefined) {
        return { ...DEFAULTS.schedules };
    }
    const out: { [J in JobName]?: string } = {};
    for (const job of JOBS) {
        if (o[job] === undefined || o[job] === null) {
            const policy = JOB_POLICY[job];
            r.warn(`${r.key(`schedules.${job}`)} is not set, so the ${job} job is off (a job runs iff its schedule is set)` +
                (policy ? `; the policy pack refuses this (policy ${policy})` : "") +
                (job === "canary" ? "; the PITR drill proves its accuracy with canary rows and fails without them" : ""));
            continue;
        }
        const cron = r.cron(`schedules.${job}`, o[job]);
        if (cron !== undefined) {
            out[job] = cron;
        }
    }
    return out;
}

function readRetention(r: Reader, value: unknown): RetentionConfig {
    const d = DEFAULTS.retention;
    const o = r.object("retention", value, ["daily", "weekly", "pitrDays", "weeklyDay", "dryRun"]);
    if (o === undefined) {
        return { ...d };
    }
    for (const field of ["daily", "weekly", "pitrDays"]) {
        if (o[field] === undefined) {
            r.problems.push(`${r.key(`retention.${field}`)} is missing: when ${r.key("retention")} is given it must spell out daily, weekly and pitrDays ` +
                "(positive integers; the policy minimums are 7, 4 and 7)");
        }
    }
    const positive = (field: string, fallback: number, max: number): number =>
        r.integer(`retention.${field}`, o[field], fallback, 1, max, " (values below the policy minimum are refused by the policy pack, not here)");
    return {
        daily: positive("daily", d.daily, 3650),
        weekly: positive("weekly", d.weekly, 520),
        pitrDays: positive("pitrDays", d.pitrDays, 3650),
        weeklyDay: r.oneOf("retention.weeklyDay", o.weeklyDay, d.weeklyDay, WEEKDAYS),
        dryRun: r.bool("retention.dryRun", o.dryRun, d.dryRun),
    };
}

function readRecovery(r: Reader, value: unknown, generation: number, basePrefix: string, pitrDays: number, now: Date): RecoveryConfig | undefined {
    const o = r.object("recovery", value, ["target", "scaleApi", "apiReplicas", "fromGeneration"]);
    if (o === undefined) {
        return undefined;
    }
    if (generation < 1) {
        r.problems.push(`${r.key("recovery")} is set but ${r.key("dataGeneration")} = ${generation}: a restore writes a new data generation; ` +
            "set dataGeneration to the next generation (≥ 1; the previous deployment's dataGeneration + 1)");
    }
    let target = "latest";
    let targetKind: RecoveryConfig["targetKind"] = "latest";
    if (o.target === undefined) {
        r.problems.push(`${r.key("recovery.target")} is missing: allowed are latest, an RFC 3339 time with a zone (e.g. 2025-01-31T12:00:00Z) or a backup name base_<24 hex>`);
    } else if (typeof o.target !== "string") {
        r.problem("recovery.target", o.target, "is not allowed: must be latest, an RFC 3339 time with a zone or a backup name base_<24 hex>");
    } else if (o.target === "latest") {
        target = "latest";
    } else if (o.target.startsWith("base_")) {
        target = o.target;
        targetKind = "backup";
        if (!BACKUP_NAME.test(o.target)) {
            r.problem("recovery.target", o.target, "is not a WAL-G backup name: allowed is base_ followed by 24 upper-case hex digits (e.g. base_000000010000000000000002), as `wal-g backup-list` prints it");
        }
        // Whether that backup exists can only be checked with bucket access, which preview does not
        // have: restore.sh checks it before writing anything.
    } else {
        const t = parseRfc3339(o.target);
        target = o.target;
        targetKind = "time";
        if (t === undefined) {
            r.problem("recovery.target", o.target, "is not allowed: must be latest, a backup name base_<24 hex>, or an RFC 3339 time with a zone (e.g. 2025-01-31T12:00:00Z)");
        } else if (t.getTime() > now.getTime()) {
            r.problem("recovery.target", o.target, `is in the future (now is ${now.toISOString()}): allowed are times inside the PITR window, from ${new Date(now.getTime() - pitrDays * 86_400_000).toISOString()} to now`);
        } else if (t.getTime() < now.getTime() - pitrDays * 86_400_000) {
            r.problem("recovery.target", o.target, `is older than the PITR window (${r.key("retention.pitrDays")} = ${pitrDays}): allowed are times from ${new Date(now.getTime() - pitrDays * 86_400_000).toISOString()} to now (${now.toISOString()})`);
        }
    }
    // Default: the generation that runs now, which is N−1 until a rollback (checkAgainstPrevious knows).
    let fromGeneration: number | undefined;
    if (o.fromGeneration !== undefined) {
        fromGeneration = r.integer("recovery.fromGeneration", o.fromGeneration, Math.max(generation - 1, 0), 0, 1000, " (a generation that holds history)");
        if (generation >= 1 && fromGeneration >= generation) {
            r.problem("recovery.fromGeneration", o.fromGeneration, `is not older than ${r.key("dataGeneration")} = ${generation}: a restore reads the history of an ` +
                `existing generation into a new one; allowed are 0..${generation - 1}`);
        }
    }
    return {
        target,
        targetKind,
        scaleApi: r.bool("recovery.scaleApi", o.scaleApi, DEFAULTS.recovery.scaleApi),
        apiReplicas: r.integer("recovery.apiReplicas", o.apiReplicas, DEFAULTS.recovery.apiReplicas, 0, 100),
        generation,
        fromGeneration,
        sourceGeneration: fromGeneration ?? Math.max(generation - 1, 0),
        sourcePrefix: generationNames.prefix(basePrefix, fromGeneration ?? Math.max(generation - 1, 0)),
    };
}

function readRollback(r: Reader, value: unknown, generation: number, recovery: RecoveryConfig | undefined): RollbackConfig | undefined {
    const o = r.object("rollback", value, ["fromGeneration", "scaleApi", "apiReplicas"]);
    if (o === undefined) {
        return undefined;
    }
    let fromGeneration = generation + 1;
    if (o.fromGeneration === undefined) {
        r.problems.push(`${r.key("rollback.fromGeneration")} is missing: it must name the generation the database leaves (the previous deployment's ` +
            `dataGeneration, \`pulumi stack output dataGeneration\`); ${r.key("dataGeneration")} names the one it goes back to`);
    } else {
        const before = r.problems.length;
        fromGeneration = r.integer("rollback.fromGeneration", o.fromGeneration, fromGeneration, 1, 1000, " (the generation the database leaves)");
        if (r.problems.length === before) {
            if (fromGeneration === generation) {
                r.problem("rollback.fromGeneration", o.fromGeneration, `equals ${r.key("dataGeneration")} = ${generation}: that is rolling back to the generation ` +
                    `the database leaves; dataGeneration names the older generation to go back to (0..${generation - 1})`);
            } else if (fromGeneration < generation) {
                r.problem("rollback.fromGeneration", o.fromGeneration, `is below ${r.key("dataGeneration")} = ${generation}: a rollback only goes back to an ` +
                    `older generation (dataGeneration 0..${fromGeneration - 1}); moving forward is a recovery into a new generation`);
            }
        }
    }
    if (recovery) {
        r.problems.push(`${r.key("rollback")} and ${r.key("recovery")} are both set: a rollback returns to a generation that already holds data, a recovery ` +
            "restores into a new one; do one per pulumi up (remove the recovery block of the last restore when rolling back)");
    }
    return {
        fromGeneration,
        toGeneration: generation,
        scaleApi: r.bool("rollback.scaleApi", o.scaleApi, DEFAULTS.rollback.scaleApi),
        apiReplicas: r.integer("rollback.apiReplicas", o.apiReplicas, DEFAULTS.rollback.apiReplicas, 0, 100),
    };
}

/** Values that work but fall below what the policy pack enforces: warn, name the policy, render anyway. */
function policyWarnings(r: Reader, postgres: PostgresConfig, walg: WalgConfig, spaces: SpacesConfig, schedules: Schedules,
    retention: RetentionConfig, verifyMaxReadyAgeSeconds: number): void {
    const below = (path: string, value: number, min: number, policy: string, what: string): void => {
        if (value < min) {
            r.warn(`${r.key(path)} = ${value} is below the policy minimum of ${min} ${what}: the policy pack refuses it (policy ${policy})`);
        }
    };
    below("retention.daily", retention.daily, POLICY_MINIMUMS.dailyBackups, POLICY_NAMES.retentionDaily, "daily backups");
    below("retention.weekly", retention.weekly, POLICY_MINIMUMS.weeklyBackups, POLICY_NAMES.retentionWeekly, "weekly backups");
    below("retention.pitrDays", retention.pitrDays, POLICY_MINIMUMS.pitrDays, POLICY_NAMES.pitrWindow, "days of PITR");
    if (retention.dryRun) {
        r.warn(`${r.key("retention.dryRun")} = true: retention logs its plan but deletes nothing, so storage grows without bound; ` +
            `the policy pack refuses it (policy ${POLICY_NAMES.retentionJob})`);
    }
    if (postgres.archiveTimeoutSeconds > POLICY_MINIMUMS.maxArchiveTimeoutSeconds) {
        r.warn(`${r.key("postgres.archiveTimeoutSeconds")} = ${postgres.archiveTimeoutSeconds} is above the policy maximum of ` +
            `${POLICY_MINIMUMS.maxArchiveTimeoutSeconds} s (an idle database can lose that much): the policy pack refuses it (policy ${POLICY_NAMES.archive})`);
    }
    const every = (job: JobName, limit: number, what: string, policy: string): void => {
        const cron = schedules[job];
        if (cron !== undefined) {
            const worst = maxIntervalSeconds(parseCron(cron));
            if (worst > limit) {
                r.warn(`${r.key(`schedules.${job}`)} = ${show(cron)} can wait ${Math.round(worst / 3600)} h between runs, more than ${what}: ` +
                    `the policy pack refuses it (policy ${policy})`);
            }
        }
    };
    every("backup", POLICY_MINIMUMS.backupEverySeconds, "once a day", POLICY_NAMES.backupSchedule);
    every("restoreDrill", POLICY_MINIMUMS.restoreDrillEverySeconds, "once a week", POLICY_NAMES.restoreDrill);
    every("pitrDrill", POLICY_MINIMUMS.pitrDrillEverySeconds, "once a month", POLICY_NAMES.pitrDrill);
    const verify = schedules.verify;
    if (verify !== undefined) {
        const worst = maxIntervalSeconds(parseCron(verify));
        const bound = POLICY_MINIMUMS.verifyIntervalArchiveTimeouts * postgres.archiveTimeoutSeconds;
        if (worst > bound) {
            r.warn(`${r.key("schedules.verify")} = ${show(verify)} can wait ${worst} s between runs, more than ${POLICY_MINIMUMS.verifyIntervalArchiveTimeouts} × ` +
                `${r.key("postgres.archiveTimeoutSeconds")} = ${bound} s: a stalled archiver that verify.sh sees within 2 × archive_timeout ` +
                `(ready-age limit ${verifyMaxReadyAgeSeconds} s) is reported that much later; the policy pack refuses it (policy ${POLICY_NAMES.stall})`);
        }
    }
    if (walg.retries.worstCase.seconds > POLICY_MINIMUMS.maxRetrySeconds) {
        r.warn(`${r.key("walg.retries")} lets backup-fetch retry one unreadable object for up to ${walg.retries.worstCase.seconds} s, more than ` +
            `${POLICY_MINIMUMS.maxRetrySeconds} s: the policy pack refuses it (policy ${POLICY_NAMES.retries})`);
    }
    if (spaces.drKeyPermission !== "read") {
        r.warn(`${r.key("spaces.drKeyPermission")} = ${show(spaces.drKeyPermission)}: DR and the drills get a key that can change the backups; ` +
            `allowed by the policy pack is read only: it refuses this (policy ${POLICY_NAMES.drKey})`);
    }
}

function deepFreeze<T>(value: T): T {
    if (value !== null && typeof value === "object" && !pulumi.Output.isInstance(value) && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const v of Object.values(value as object)) {
            deepFreeze(v);
        }
    }
    return value;
}

// ---------------------------------------------------------------------------------------------
// Reading the running stack's config.

/** The clock validation uses: TERNENT_NOW (tests, reproducible renders) or real time. */
export function validationClock(): Date {
    const fixed = process.env.TERNENT_NOW;
    if (fixed) {
        const d = parseRfc3339(fixed);
        if (!d) {
            throw new ConfigError([`TERNENT_NOW = ${show(fixed)} is not an RFC 3339 time with a zone (e.g. 2025-01-31T12:00:00Z)`]);
        }
        return d;
    }
    return new Date();
}

/** Reads and validates the current stack's `ternent-postgres:` config; logs warnings; throws ConfigError. */
export function loadStackConfig(): StackConfig {
    const cfg = new pulumi.Config(PROJECT);
    const k8s = new pulumi.Config("kubernetes");
    // Enumerate the keys so that unknown ones (typos) are errors, not silently ignored.
    const prefix = `${PROJECT}:`;
    const keys = Object.keys(pulumi.runtime.allConfig()).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length));
    const values: Record<string, string> = {};
    const secretKeys: string[] = [];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const runtimeConfig = require("@pulumi/pulumi/runtime/config") as { isConfigSecret(k: string): boolean };
    for (const key of keys) {
        // Secret values are read raw to be validated, then wrapped in pulumi.secret by the validator.
        const v = cfg.get(key);
        if (v !== undefined) {
            values[key] = v;
        }
        if (runtimeConfig.isConfigSecret(`${prefix}${key}`)) {
            secretKeys.push(key);
        }
    }
    const kubernetes: Record<string, string> = {};
    for (const flag of ["enableSecretMutable", "enableConfigMapMutable"]) {
        const v = k8s.get(flag);
        if (v !== undefined) {
            kubernetes[flag] = v;
        }
    }
    const { config, warnings } = validateStackConfig({
        stack: pulumi.getStack(), values, secretKeys, kubernetes, now: validationClock(),
    });
    for (const w of warnings) {
        void pulumi.log.warn(w);
    }
    return config;
}

// ---------------------------------------------------------------------------------------------
// Checks against the previous deployment of this stack (read through a StackReference to itself).

/** What the previous deployment exported that the checks need. */
export interface PreviousDeployment {
    readonly dataGeneration?: number;
    /** Highest generation the stack ever ran (absent before rollbacks existed: then dataGeneration). */
    readonly dataGenerationMax?: number;
    readonly recovery?: { readonly generation?: number; readonly target?: string; readonly restoredFromGeneration?: number };
    readonly rollback?: { readonly fromGeneration?: number; readonly toGeneration?: number };
}

/**
 * Checks the config against this stack's history and returns it completed: dataGenerationMax (the
 * highest generation ever run, whose PVCs all stay declared) and the generation a recovery restores
 * from (the one that runs now, unless recovery.fromGeneration says otherwise). Errors when
 * dataGeneration would go backwards without a rollback block, skip or reuse a generation, start an
 * empty database, or roll back from/to a generation that does not run/never ran.
 */
export function checkAgainstPrevious(config: StackConfig, previous: PreviousDeployment | undefined): StackConfig {
    const problems: string[] = [];
    const key = (k: string): string => `${PROJECT}:${k}`;
    const prev = previous?.dataGeneration;
    const n = config.dataGeneration;
    const rec = config.recovery;
    const rb = config.rollback;
    let sourceGeneration = rec?.sourceGeneration;
    // Every generation up to this one ran and has history under its prefix (gaps are impossible: a
    // new generation is always the next after the highest).
    const prevMax = prev === undefined ? undefined : Math.max(prev, previous?.dataGenerationMax ?? 0);
    if (prev !== undefined && prevMax !== undefined) {
        const used = `generations 0..${prevMax} have run and hold history`;
        const rolledBack = previous?.rollback;
        // The block left in place after the rollback it did: nothing changes (same PVC, prefix, API patches).
        const rollbackDone = n === prev && rolledBack?.fromGeneration === rb?.fromGeneration && rolledBack?.toGeneration === n;
        if (rb && !rollbackDone) {
            if (n > prevMax) {
                problems.push(`${key("dataGeneration")} = ${n} never existed (${used}): a rollback returns to a generation that ran before ` +
                    `the one the previous deployment runs on (${prev}); allowed are 0..${prev - 1}`);
            } else if (n === prev) {
                problems.push(`${key("dataGeneration")} = ${n} is the generation the previous deployment already runs on: nothing to roll back to; ` +
                    `remove the ${key("rollback")} block, or set dataGeneration to the older generation to go back to (0..${prev - 1})`);
            } else if (rb.fromGeneration > prevMax) {
                problems.push(`${key("rollback.fromGeneration")} = ${rb.fromGeneration} never existed (${used}); the previous deployment runs on ` +
                    `generation ${prev}: allowed is ${prev}`);
            } else if (rb.fromGeneration !== prev) {
                problems.push(`${key("rollback.fromGeneration")} = ${rb.fromGeneration} is not the generation the previous deployment runs on (${prev}): ` +
                    `a rollback leaves the generation that runs; allowed is ${prev}`);
            }
        } else if (!rb && n < prev) {
            problems.push(`${key("dataGeneration")} = ${n} goes backwards: the previous deployment runs on generation ${prev}; allowed are ${prev} ` +
                `(stay) or ${prevMax + 1} (with a recovery block). To run on generation ${n}'s data again, add ` +
                `${key("rollback")}: {fromGeneration: ${prev}} (FAILURE_RUNBOOK.md, "Roll back to the old PVC")`);
        }
        if (n > prev && !rb) {
            if (n <= prevMax) {
                problems.push(`${key("dataGeneration")} = ${n} was used before (${used}; the previous deployment's dataGenerationMax is ${prevMax}): ` +
                    `a prefix that holds history is never written by another database; a recovery writes generation ${prevMax + 1}` +
                    (rec ? "" : `, and going back to an older generation is a ${key("rollback")} block`));
            } else if (n > prevMax + 1) {
                problems.push(`${key("dataGeneration")} = ${n} skips a generation: the previous deployment runs on generation ${prev}` +
                    (prevMax > prev ? ` and generations up to ${prevMax} were used` : "") + `; allowed are ${prev} or ${prevMax + 1}`);
            } else if (rec === undefined) {
                problems.push(`${key("dataGeneration")} = ${n} advances from ${prev} without a ${key("recovery")} block: the database would start empty on a new volume; ` +
                    "add recovery: {target: …} to restore into it, or keep dataGeneration at " + prev);
            }
            if (rec) {
                if (rec.fromGeneration !== undefined && rec.fromGeneration > prevMax) {
                    problems.push(`${key("recovery.fromGeneration")} = ${rec.fromGeneration} never existed (${used}): allowed are 0..${prevMax}`);
                }
                // Unless told otherwise, restore what runs now (after a rollback that is not N−1).
                sourceGeneration = rec.fromGeneration ?? prev;
            }
        }
        const done = previous?.recovery;
        if (rec && n === prev) {
            if (!done || done.generation !== n) {
                problems.push(`${key("recovery")} is set for generation ${n}, which the previous deployment already runs on and did not restore in this block: ` +
                    `a restore never writes into a generation that holds data; set ${key("dataGeneration")} to ${prevMax + 1} to restore into a new generation`);
            } else {
                if (done.target !== undefined && done.target !== rec.target) {
                    problems.push(`${key("recovery.target")} = ${show(rec.target)} changed after generation ${n} was restored (to ${show(done.target)}): ` +
                        `a finished restore is never redone in place; to restore again, set dataGeneration to ${prevMax + 1} with the new target`);
                }
                const from = done.restoredFromGeneration ?? n - 1;
                if (rec.fromGeneration !== undefined && rec.fromGeneration !== from) {
                    problems.push(`${key("recovery.fromGeneration")} = ${rec.fromGeneration} changed after generation ${n} was restored (from generation ${from}): ` +
                        `a finished restore is never redone in place; to restore again, set dataGeneration to ${prevMax + 1}`);
                }
                sourceGeneration = from;
            }
        }
    } else if (rb) {
        void pulumi.log.warn(`${key("rollback")} is set but there is no previous deployment to compare with: cannot check that generation ` +
            `${rb.fromGeneration} runs now; PVCs of generations 1..${rb.fromGeneration} are declared and ${key("dataGeneration")} = ${n} is used`);
    } else if (n >= 1 && rec === undefined) {
        void pulumi.log.warn(`${key("dataGeneration")} = ${n} without a recovery block and no previous deployment to compare with: ` +
            `PVC ${generationNames.dataClaim(n)} must already hold the data, or the database starts empty`);
    }
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    const dataGenerationMax = Math.max(config.dataGenerationMax, prevMax ?? 0);
    const recovery = rec && sourceGeneration !== undefined && sourceGeneration !== rec.sourceGeneration
        ? { ...rec, sourceGeneration, sourcePrefix: generationNames.prefix(config.spaces.prefix, sourceGeneration) }
        : rec;
    return deepFreeze({ ...config, dataGenerationMax, recovery });
}

/** Reads the previous deployment's outputs through a StackReference to this very stack. */
export async function readPreviousDeployment(): Promise<PreviousDeployment> {
    const ref = new pulumi.StackReference("previous-deployment", {
        name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
    });
    const read = async (name: string): Promise<unknown> => {
        const d = await ref.getOutputDetails(name);
        return d.value ?? d.secretValue;
    };
    const number = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);
    const object = <T>(v: unknown): T | undefined => (v && typeof v === "object" ? v as T : undefined);
    return {
        dataGeneration: number(await read("dataGeneration")),
        dataGenerationMax: number(await read("dataGenerationMax")),
        recovery: object<PreviousDeployment["recovery"]>(await read("recovery")),
        rollback: object<PreviousDeployment["rollback"]>(await read("rollback")),
    };
}

/** The whole preview-time validation: config, then the history of this stack. */
export async function loadAndCheckStackConfig(): Promise<StackConfig> {
    return checkAgainstPrevious(loadStackConfig(), await readPreviousDeployment());
}
