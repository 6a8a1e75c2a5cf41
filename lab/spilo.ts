/**
 * How the Zalando postgres-operator (v1.15.1, lib/postgres-operator.json) and its Spilo image configure
 * WAL-G, restated for the lab so that the ha-migration test runs the operator's clone with the very
 * environment its wal-g processes get. Read from their sources (nothing is copied):
 *   - the operator's pkg/cluster/k8sres.go, generateSpiloPodEnvVars: the manifest's spec.env come first,
 *     then, appended as they are, the clone section's variables (generateCloneEnvironment: with a
 *     timestamp and s3_wal_path, CLONE_WALE_S3_PREFIX, CLONE_METHOD=CLONE_WITH_WALE, CLONE_TARGET_TIME,
 *     CLONE_AWS_ENDPOINT and CLONE_WALE_S3_ENDPOINT from s3_endpoint, CLONE_AWS_S3_FORCE_PATH_STYLE);
 *   - Spilo's scripts/configure_spilo.py, write_wale_environment(prefix): from the variables named
 *     <prefix><NAME> it writes an envdir (env/ for the cluster's own archive, env-clone-<cluster>/ for
 *     the clone) holding only the S3 and WAL-G names it knows; with an endpoint it sets the path-style
 *     convention and turns S3 server-side encryption off, keeps AWS_REGION only for WAL-G, and sets
 *     WALG_S3_PREFIX from WALE_S3_PREFIX when absent; for the clone WAL-G is the default;
 *   - Spilo's runit/patroni/run: Patroni (and so PostgreSQL, archive_command, restore_command and the
 *     clone script) starts with the pod environment scrubbed to a few names, so wal-g sees the envdir
 *     and nothing else;
 *   - Spilo's bootstrap/clone_with_wale.py: the newest backup whose backup-list "modified" time is
 *     before the target, `wal-g backup-fetch`; Patroni then starts PostgreSQL with the bootstrap's
 *     recovery_conf (restore_command = restore_command.sh = `wal-g wal-fetch`, recovery_target_time,
 *     recovery_target_timeline latest, recovery_target_action promote) and hot_standby off (Patroni's
 *     config.py for a custom bootstrap that promotes).
 */
import * as fs from "fs";
import OPERATOR from "../lib/postgres-operator.json";
import { runStack } from "../tools/harness";

/** One env entry of a pod spec: a literal or a Secret key. */
export interface PodEnvVar {
    readonly name: string;
    readonly value?: string;
    readonly valueFrom?: { readonly secretKeyRef?: { readonly name: string; readonly key: string } };
}

/** The clone section of a postgresql resource (the fields an S3 clone uses). */
export interface CloneSpec {
    readonly cluster: string;
    readonly timestamp?: string;
    readonly s3_wal_path?: string;
    readonly s3_endpoint?: string;
    readonly s3_force_path_style?: boolean;
    readonly s3_access_key_id?: string;
    readonly s3_secret_access_key?: string;
}

/** generateCloneEnvironment for a clone from an S3 WAL path with a timestamp. */
export function operatorCloneEnv(clone: CloneSpec): PodEnvVar[] {
    if (!clone.timestamp || !clone.s3_wal_path) {
        throw new Error("the lab reproduces the operator's clone from an S3 WAL path only (clone.timestamp and clone.s3_wal_path)");
    }
    const env: PodEnvVar[] = [
        { name: "CLONE_SCOPE", value: clone.cluster },
        { name: "CLONE_WALE_S3_PREFIX", value: clone.s3_wal_path },
        { name: "CLONE_METHOD", value: "CLONE_WITH_WALE" },
        { name: "CLONE_TARGET_TIME", value: clone.timestamp },
        { name: "CLONE_WAL_BUCKET_SCOPE_PREFIX", value: "" },
    ];
    if (clone.s3_endpoint) env.push({ name: "CLONE_AWS_ENDPOINT", value: clone.s3_endpoint }, { name: "CLONE_WALE_S3_ENDPOINT", value: clone.s3_endpoint });
    if (clone.s3_access_key_id) env.push({ name: "CLONE_AWS_ACCESS_KEY_ID", value: clone.s3_access_key_id });
    if (clone.s3_secret_access_key) env.push({ name: "CLONE_AWS_SECRET_ACCESS_KEY", value: clone.s3_secret_access_key });
    if (clone.s3_force_path_style !== undefined) env.push({ name: "CLONE_AWS_S3_FORCE_PATH_STYLE", value: clone.s3_force_path_style ? "1" : "0" });
    return env;
}

/**
 * The Spilo container's environment as the operator builds it from spec.env and spec.clone, resolved
 * against the Secrets' data. A name given twice is an error here: the operator appends the clone's
 * variables without de-duplicating them.
 */
export function spiloPodEnv(specEnv: readonly PodEnvVar[], clone: CloneSpec | undefined, secrets: Readonly<Record<string, Readonly<Record<string, string>>>>): Record<string, string> {
    const all = [...specEnv, ...(clone ? operatorCloneEnv(clone) : [])];
    const out: Record<string, string> = {};
    for (const e of all) {
        if (e.name in out) throw new Error(`env ${e.name} is set twice in the Spilo container (spec.env and the clone section)`);
        if (e.valueFrom?.secretKeyRef) {
            const { name, key } = e.valueFrom.secretKeyRef;
            const v = secrets[name]?.[key];
            if (v === undefined) throw new Error(`env ${e.name}: Secret ${name} has no key ${key}`);
            out[e.name] = v;
        } else {
            out[e.name] = e.value ?? "";
        }
    }
    return out;
}

const S3_NAMES = [
    "WALE_S3_PREFIX", "WALG_S3_PREFIX", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "WALE_S3_ENDPOINT", "AWS_ENDPOINT", "AWS_REGION",
    "AWS_INSTANCE_PROFILE", "WALE_DISABLE_S3_SSE", "WALG_S3_SSE_KMS_ID", "WALG_S3_SSE", "WALG_DISABLE_S3_SSE", "AWS_S3_FORCE_PATH_STYLE",
    "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_STS_REGIONAL_ENDPOINTS",
];
const WALG_NAMES = [
    "WALG_DELTA_MAX_STEPS", "WALG_DELTA_ORIGIN", "WALG_DOWNLOAD_CONCURRENCY", "WALG_UPLOAD_CONCURRENCY", "WALG_UPLOAD_DISK_CONCURRENCY",
    "WALG_DISK_RATE_LIMIT", "WALG_NETWORK_RATE_LIMIT", "WALG_COMPRESSION_METHOD", "USE_WALG_BACKUP", "USE_WALG_RESTORE",
    "WALG_BACKUP_COMPRESSION_METHOD", "WALG_BACKUP_FROM_REPLICA", "WALG_SENTINEL_USER_DATA", "WALG_PREVENT_WAL_OVERWRITE",
    "WALG_S3_CA_CERT_FILE", "WALG_LIBSODIUM_KEY", "WALG_LIBSODIUM_KEY_PATH", "WALG_LIBSODIUM_KEY_TRANSFORM", "WALG_PGP_KEY",
    "WALG_PGP_KEY_PATH", "WALG_PGP_KEY_PASSPHRASE", "no_proxy", "http_proxy", "https_proxy",
];

/**
 * The envdir Spilo writes for the S3 case: prefix "" (env/: archive_command, backups) or "CLONE_"
 * (env-clone-<cluster>/: the clone's backup-list, backup-fetch and restore_command). Only these names
 * reach wal-g. Throws when the variables do not configure S3 at all.
 */
export function spiloWalgEnv(pod: Readonly<Record<string, string>>, prefix: "" | "CLONE_"): Record<string, string> {
    const get = (n: string): string => pod[prefix + n] ?? "";
    const w: Record<string, string> = {};
    for (const n of [...S3_NAMES, ...WALG_NAMES, "WAL_S3_BUCKET", "BACKUP_NUM_TO_RETAIN"]) w[n] = get(n);
    // set_walg_placeholders: WAL-G for backup and restore when USE_WALG (the clone: default true) says so.
    const useWalg = prefix === "CLONE_" ? get("USE_WALG") || "true" : get("USE_WALG");
    for (const n of ["USE_WALG_BACKUP", "USE_WALG_RESTORE"]) w[n] = (get(n) || useWalg).toLowerCase() === "true" ? "true" : "";
    if (!w.WAL_S3_BUCKET && !w.WALE_S3_PREFIX && !w.WALG_S3_PREFIX) throw new Error(`no ${prefix}WALE_S3_PREFIX, ${prefix}WALG_S3_PREFIX or ${prefix}WAL_S3_BUCKET: Spilo would not configure S3`);
    let awsEndpoint = w.AWS_ENDPOINT;
    let waleEndpoint = w.WALE_S3_ENDPOINT;
    const region = w.AWS_REGION;
    delete w.AWS_REGION;
    if (awsEndpoint || waleEndpoint) {
        let convention = "path";
        if (!waleEndpoint) {
            waleEndpoint = awsEndpoint.replace("://", "+path://");
        } else {
            const m = /^(\w+)\+(\w+)(:\/\/.+)$/.exec(waleEndpoint);
            if (m) convention = m[2];
            if (!awsEndpoint) awsEndpoint = m ? `${m[1]}${m[3]}` : waleEndpoint;
        }
        w.WALE_S3_ENDPOINT = waleEndpoint;
        w.AWS_ENDPOINT = awsEndpoint;
        for (const n of ["WALE_DISABLE_S3_SSE", "WALG_DISABLE_S3_SSE"]) w[n] ||= "true";
        w.AWS_S3_FORCE_PATH_STYLE = convention === "path" ? "true" : "false";
        if (region && w.USE_WALG_BACKUP === "true") w.AWS_REGION = region;
    } else {
        w.AWS_REGION = region;
    }
    if (!(w.AWS_SECRET_ACCESS_KEY && w.AWS_ACCESS_KEY_ID)) w.AWS_INSTANCE_PROFILE = "true";
    if (w.USE_WALG_BACKUP && w.WALG_DISABLE_S3_SSE !== "true" && !w.WALG_S3_SSE) w.WALG_S3_SSE = "AES256";
    if (!w.WALE_S3_PREFIX) throw new Error(`${prefix}WALE_S3_PREFIX is not set: Spilo would build it from WAL_S3_BUCKET and the cluster's scope, which this lab does not model`);
    w.WALG_S3_PREFIX ||= w.WALE_S3_PREFIX;
    const names = [...S3_NAMES, ...WALG_NAMES, ...(prefix === "" ? ["BACKUP_NUM_TO_RETAIN"] : [])];
    return Object.fromEntries(names.filter((n) => w[n]).map((n) => [n, w[n]]));
}

/** The recovery settings Patroni gives PostgreSQL after Spilo's clone_with_wale bootstrap. */
export function spiloCloneRecoverySettings(targetTime: string, restoreCommand: string): Record<string, string> {
    return {
        restore_command: restoreCommand,
        recovery_target_timeline: "latest",
        recovery_target_action: "promote",
        recovery_target_time: targetTime,
        hot_standby: "off",
    };
}

/** clone_with_wale.choose_backup: the newest backup whose "modified" time (the sentinel's, `time` in --json) is before T. */
export function spiloChooseBackup(backups: readonly { backup_name: string; time: string }[], targetTime: string): string {
    const t = Date.parse(targetTime);
    const before = backups.filter((b) => Date.parse(b.time) < t).sort((a, b) => Date.parse(b.time) - Date.parse(a.time));
    if (before.length === 0) throw new Error(`Could not find any backups prior to the point in time ${targetTime}`);
    return before[0].backup_name;
}

/**
 * Writes an executable that runs wal-g with exactly `env` plus PATH and HOME, the way Spilo's
 * `envdir <dir> wal-g …` runs under its scrubbed Patroni: `<file> wal-fetch %f %p` is a restore_command,
 * `<file> wal-push %p` an archive_command. Mode 0500 (it holds keys); chown it to the server's user.
 */
export function writeWalgWrapper(file: string, walg: string, env: Readonly<Record<string, string>>, base: { PATH: string; HOME: string }): void {
    const q = (v: string): string => `'${v.split("'").join(`'"'"'`)}'`;
    const assignments = Object.entries({ ...base, ...env }).map(([k, v]) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`bad environment name ${k}`);
        return `${k}=${q(v)}`;
    });
    fs.writeFileSync(file, `#!/bin/sh\nexec env -i ${assignments.join(" ")} ${q(walg)} "$@"\n`, { mode: 0o500 });
}

/** The postgresql resource a stack renders (the ha profile): its spec.env and spec.clone, by running the program in this process. */
export async function renderedCluster(stack: string): Promise<{ env: PodEnvVar[]; clone?: CloneSpec; spec: Record<string, unknown> }> {
    const run = await runStack(stack, { now: process.env.TERNENT_NOW });
    const cr = run.resources.find((r) => r.type === `kubernetes:${OPERATOR.apiVersion}:${OPERATOR.kind}`);
    if (!cr) throw new Error(`stack ${stack} renders no ${OPERATOR.kind} resource (profile: ha?)`);
    const spec = (cr.inputs as { spec: Record<string, unknown> }).spec;
    return { env: spec.env as PodEnvVar[], clone: spec.clone as CloneSpec | undefined, spec };
}
