// A stack built by hand after docs/architecture.md (names, namespaces, env contract, pod paths), as
// the harness captures a program: URNs, parents, dependencies, propertyDependencies, inputs,
// outputs (inputs plus what the provider computes) and options. Policy tests start from it, break
// one thing, and call the policy directly (run-policy.ts). Independent of components/, so a policy
// test fails only for the policy.

import { CapturedResource, PROJECT } from "../../tools/harness";

export const BUCKET = "ternent-postgres-backups-prod";
export const PREFIX = `s3://${BUCKET}/ternent-postgres`;
export const SODIUM_HEX = "3f".repeat(32);
export const RW_ACCESS_KEY = "DO00RWRWRWRWRWRWRWRW";
export const RO_ACCESS_KEY = "DO00ROROROROROROROROR";
const WALG_URL = "https://github.com/wal-g/wal-g/releases/download/v3.0.9/wal-g-pg-22.04-amd64.tar.gz";
const WALG_SHA = "4f03ee4679db7f660bfd1b2b8291ac5df247cd2ec48074b60c112f4897299f24";

export const POSTGRESQL_CONF = [
    "listen_addresses = '*'",
    "wal_level = replica",
    "archive_mode = on",
    "archive_command = '/ternent/scripts/archive-command.sh %p'",
    "archive_timeout = 60",
    "restore_command = '/ternent/scripts/restore-command.sh %f %p'",
    "",
].join("\n");

export const SCRIPTS: Record<string, string> = {
    "archive-command.sh": "#!/usr/bin/env bash\n# ships one WAL file\nset -euo pipefail\nexec \"${TERNENT_BIN:-/ternent/bin}/wal-g\" wal-push \"$1\"\n",
    "walg-install.sh": "#!/bin/sh\nset -eu\ncurl -fsSL -o \"$d\" \"$WALG_URL\"\nactual=$(sha256sum \"$d\" | cut -d ' ' -f 1)\n" +
        "[ \"$actual\" = \"$WALG_SHA256\" ] || exit 3\nmv \"$d\" \"$TERNENT_BIN/wal-g\"\n",
    "backup.sh": "#!/bin/bash\nset -euo pipefail\nexec \"$TERNENT_BIN/wal-g\" backup-push \"$PGDATA\"\n",
    "retention.sh": "#!/bin/bash\nset -euo pipefail\n\"$TERNENT_BIN/wal-g\" delete before \"$name\" --confirm\n",
    "restore-drill.sh": "#!/bin/bash\nset -euo pipefail\n\"$TERNENT_BIN/wal-g\" backup-fetch \"$TERNENT_WORKDIR/data\" LATEST\n",
    "pitr-drill.sh": "#!/bin/bash\nset -euo pipefail\n\"$TERNENT_BIN/wal-g\" backup-fetch \"$TERNENT_WORKDIR/data\" LATEST\n",
    "verify.sh": "#!/bin/bash\nset -euo pipefail\npsql -c \"SELECT * FROM pg_stat_archiver\"\n" +
        "psql -c \"SELECT min(modification) FROM pg_ls_archive_statusdir() WHERE name LIKE '%.ready'\"\n",
};

/** ConfigMap ternent-postgres-walg: tuning and the retry policy (worst case 520 s, policy walg-retries-bounded). */
export const WALG_TUNING: Record<string, string> = {
    AWS_S3_FORCE_PATH_STYLE: "false", WALG_COMPRESSION_METHOD: "brotli", WALG_UPLOAD_CONCURRENCY: "4", WALG_DOWNLOAD_CONCURRENCY: "4",
    WALG_DOWNLOAD_FILE_RETRIES: "3", WALG_S3_MAX_RETRIES: "5", WALG_S3_MIN_THROTTLING_RETRY_DELAY: "500",
    WALG_S3_MAX_THROTTLING_RETRY_DELAY: "10000",
};

const SELECTOR = { "app.kubernetes.io/name": "ternent-postgres", "app.kubernetes.io/component": "database" };

function labels(component: string): Record<string, string> {
    return {
        "app.kubernetes.io/name": "ternent-postgres", "app.kubernetes.io/instance": "prod",
        "app.kubernetes.io/component": component, "app.kubernetes.io/part-of": "ternent-postgres",
        "app.kubernetes.io/managed-by": "pulumi",
    };
}

function clone<T>(v: T): T {
    return JSON.parse(JSON.stringify(v)) as T;
}

type Props = Record<string, unknown>;

class Builder {
    readonly resources: CapturedResource[] = [];
    constructor(readonly stack: string, readonly protect: boolean) {}

    private urn(type: string, name: string, parent?: CapturedResource): string {
        return `urn:pulumi:${this.stack}::${PROJECT}::${parent ? `${parent.type}$` : ""}${type}::${name}`;
    }

    component(type: string, name: string): CapturedResource {
        const r: CapturedResource = {
            urn: this.urn(type, name), type, name, custom: false, dependencies: [], propertyDependencies: {},
            inputs: {}, secretPaths: [], outputs: {}, options: this.options(false),
        };
        this.resources.push(r);
        return r;
    }

    custom(parent: CapturedResource, type: string, name: string, inputs: Props,
        opts: { computed?: Props; deps?: Record<string, CapturedResource[]>; protect?: boolean } = {}): CapturedResource {
        const propertyDependencies: Record<string, string[]> = {};
        const all = new Set<string>();
        for (const [k, list] of Object.entries(opts.deps ?? {})) {
            propertyDependencies[k] = list.map((d) => d.urn);
            list.forEach((d) => all.add(d.urn));
        }
        const r: CapturedResource = {
            urn: this.urn(type, name, parent), type, name, custom: true, parent: parent.urn,
            dependencies: [...all], propertyDependencies, inputs: clone(inputs), secretPaths: [],
            outputs: { ...clone(inputs), ...clone(opts.computed ?? {}) },
            options: this.options(Boolean(opts.protect) && this.protect),
        };
        this.resources.push(r);
        return r;
    }

    private options(protect: boolean): CapturedResource["options"] {
        return {
            protect, retainOnDelete: false, deleteBeforeReplace: false, ignoreChanges: [], replaceOnChanges: [],
            additionalSecretOutputs: [],
        };
    }
}

const SECURITY = {
    allowPrivilegeEscalation: false, capabilities: { drop: ["ALL"] }, readOnlyRootFilesystem: true,
    runAsNonRoot: true, runAsUser: 999, seccompProfile: { type: "RuntimeDefault" },
};

function installer(): Props {
    return {
        name: "walg-install", image: "curlimages/curl:8.11.1", command: ["/ternent/scripts/walg-install.sh"],
        env: [
            { name: "TERNENT_BIN", value: "/ternent/bin" },
            { name: "WALG_VERSION", value: "v3.0.9" },
            { name: "WALG_URL", value: WALG_URL },
            { name: "WALG_SHA256", value: WALG_SHA },
        ],
        securityContext: SECURITY,
        volumeMounts: [{ name: "scripts", mountPath: "/ternent/scripts", readOnly: true }, { name: "walg-bin", mountPath: "/ternent/bin" }],
    };
}

function walgEnvFrom(): Props[] {
    return [{ secretRef: { name: "ternent-postgres-backup" } }, { configMapRef: { name: "ternent-postgres-walg" } }];
}

function podSpec(containers: Props[], extra: Props = {}): Props {
    return {
        securityContext: { runAsNonRoot: true, runAsUser: 999, fsGroup: 999, seccompProfile: { type: "RuntimeDefault" } },
        initContainers: [installer()],
        containers,
        volumes: [
            { name: "scripts", configMap: { name: "ternent-postgres-scripts", defaultMode: 0o555 } },
            { name: "walg-bin", emptyDir: {} },
            { name: "work", emptyDir: {} },
        ],
        ...extra,
    };
}

function jobContainer(name: string, script: string, env: Props[] = [], mounts: Props[] = []): Props {
    return {
        name, image: "postgres:15.18-bookworm", command: [`/ternent/scripts/${script}`],
        env: [{ name: "TERNENT_BIN", value: "/ternent/bin" }, { name: "TERNENT_SCRIPTS", value: "/ternent/scripts" }, ...env],
        envFrom: walgEnvFrom(),
        securityContext: SECURITY,
        volumeMounts: [
            { name: "scripts", mountPath: "/ternent/scripts", readOnly: true }, { name: "walg-bin", mountPath: "/ternent/bin" },
            { name: "work", mountPath: "/ternent/work" }, ...mounts,
        ],
    };
}

function cronJob(name: string, namespace: string, component: string, schedule: string, spec: Props): Props {
    return {
        metadata: { name, namespace, labels: labels(component) },
        spec: {
            schedule, concurrencyPolicy: "Forbid",
            jobTemplate: { spec: { template: { metadata: { labels: labels(component) }, spec: { restartPolicy: "Never", ...spec } } } },
        },
    };
}

function walgSecretData(accessKey: string): Props {
    return {
        WALG_S3_PREFIX: PREFIX, AWS_ENDPOINT: "https://fra1.digitaloceanspaces.com", AWS_REGION: "fra1",
        AWS_ACCESS_KEY_ID: accessKey, AWS_SECRET_ACCESS_KEY: `secret-of-${accessKey}`,
        WALG_LIBSODIUM_KEY: SODIUM_HEX, WALG_LIBSODIUM_KEY_TRANSFORM: "hex",
    };
}

export interface ContractOptions {
    readonly stack?: string;
    /** Apply the protect option to stateful resources (default: true for "prod"). */
    readonly protect?: boolean;
}

/** The contract's resources for one stack, as the harness would capture them. */
export function contractStack(o: ContractOptions = {}): CapturedResource[] {
    const stack = o.stack ?? "prod";
    const b = new Builder(stack, o.protect ?? stack === "prod");
    const T = "ternent-postgres:index:";

    const storage = b.component(`${T}BackupStorage`, "storage");
    const bucket = b.custom(storage, "digitalocean:index/spacesBucket:SpacesBucket", "storage-bucket", {
        name: BUCKET, region: "fra1", acl: "private", forceDestroy: false,
        lifecycleRules: [{ id: "abort-incomplete-multipart-uploads", enabled: true, abortIncompleteMultipartUploadDays: 2 }],
    }, { computed: { bucketDomainName: `${BUCKET}.fra1.digitaloceanspaces.com`, endpoint: "fra1.digitaloceanspaces.com" }, protect: true });
    const rwKey = b.custom(storage, "digitalocean:index/spacesKey:SpacesKey", "storage-readwrite-key", {
        name: `${BUCKET}-readwrite`, grants: [{ bucket: BUCKET, permission: "readwrite" }],
    }, { computed: { accessKey: RW_ACCESS_KEY, secretKey: `secret-of-${RW_ACCESS_KEY}` }, deps: { grants: [bucket] }, protect: true });
    const roKey = b.custom(storage, "digitalocean:index/spacesKey:SpacesKey", "storage-dr-key", {
        name: `${BUCKET}-dr`, grants: [{ bucket: BUCKET, permission: "read" }],
    }, { computed: { accessKey: RO_ACCESS_KEY, secretKey: `secret-of-${RO_ACCESS_KEY}` }, deps: { grants: [bucket] }, protect: true });
    const sodium = b.custom(storage, "random:index/randomPassword:RandomPassword", "storage-walg-libsodium-key", {
        length: 64, lower: false, upper: false, numeric: true, special: true, overrideSpecial: "abcdef",
    }, { computed: { result: SODIUM_HEX }, protect: true });

    const pg = b.component(`${T}Postgres`, "postgres");
    const pw = b.custom(pg, "random:index/randomPassword:RandomPassword", "postgres-password", { length: 32, special: false },
        { computed: { result: "p".repeat(32) }, protect: true });
    b.custom(pg, "kubernetes:core/v1:Secret", "postgres-credentials", {
        metadata: { name: "ternent-postgres", namespace: "backend", labels: labels("database") },
        stringData: { POSTGRES_USER: "ternent", POSTGRES_DB: "ternent", POSTGRES_PASSWORD: "p".repeat(32) },
    }, { deps: { stringData: [pw] }, protect: true });
    b.custom(pg, "kubernetes:core/v1:Secret", "postgres-backup-secret", {
        metadata: { name: "ternent-postgres-backup", namespace: "backend", labels: labels("backup") },
        stringData: walgSecretData(RW_ACCESS_KEY),
    }, { deps: { stringData: [bucket, rwKey, sodium] }, protect: true });
    b.custom(pg, "kubernetes:core/v1:ConfigMap", "postgres-config", {
        metadata: { name: "ternent-postgres", namespace: "backend" }, data: { "postgresql.conf": POSTGRESQL_CONF },
    });
    for (const [ns, parent, prefix] of [["backend", pg, "postgres"]] as const) {
        b.custom(parent, "kubernetes:core/v1:ConfigMap", `${prefix}-scripts`, { metadata: { name: "ternent-postgres-scripts", namespace: ns }, data: SCRIPTS });
        b.custom(parent, "kubernetes:core/v1:ConfigMap", `${prefix}-walg`, {
            metadata: { name: "ternent-postgres-walg", namespace: ns },
            data: { ...WALG_TUNING },
        });
    }
    // The keys reach archive_command through the file walg-secret writes from the Secret volume, never this env.
    const postgresContainer = {
        name: "postgres", image: "postgres:15.18-bookworm",
        args: ["postgres", "-c", "config_file=/ternent/conf/postgresql.conf"],
        env: [
            { name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" }, { name: "TERNENT_BIN", value: "/ternent/bin" },
            { name: "POSTGRES_PASSWORD", valueFrom: { secretKeyRef: { name: "ternent-postgres", key: "POSTGRES_PASSWORD" } } },
            { name: "TERNENT_WALG_ENV_FILE", value: "/ternent/secrets/walg.env" },
        ],
        envFrom: [{ configMapRef: { name: "ternent-postgres-walg" } }],
        securityContext: SECURITY,
        volumeMounts: [
            { name: "data", mountPath: "/var/lib/postgresql/data" }, { name: "conf", mountPath: "/ternent/conf", readOnly: true },
            { name: "scripts", mountPath: "/ternent/scripts", readOnly: true }, { name: "walg-bin", mountPath: "/ternent/bin" },
        ],
    };
    const stsSpec = podSpec([postgresContainer]);
    (stsSpec.volumes as Props[]).push({ name: "conf", configMap: { name: "ternent-postgres" } },
        { name: "walg-secret", secret: { secretName: "ternent-postgres-backup", defaultMode: 0o400 } },
        { name: "secrets", emptyDir: { medium: "Memory", sizeLimit: "1Mi" } });
    (stsSpec.initContainers as Props[]).push({
        name: "walg-secret", image: "postgres:15.18-bookworm", command: ["/ternent/scripts/walg-secret.sh"], securityContext: SECURITY,
        env: [{ name: "TERNENT_WALG_SECRET_DIR", value: "/ternent/walg-secret" }, { name: "TERNENT_WALG_ENV_FILE", value: "/ternent/secrets/walg.env" }],
        volumeMounts: [{ name: "walg-secret", mountPath: "/ternent/walg-secret", readOnly: true }, { name: "secrets", mountPath: "/ternent/secrets" }],
    });
    b.custom(pg, "kubernetes:apps/v1:StatefulSet", "postgres-statefulset", {
        metadata: { name: "ternent-postgres", namespace: "backend", labels: labels("database") },
        spec: {
            replicas: 1, serviceName: "ternent-postgres", selector: { matchLabels: SELECTOR },
            template: { metadata: { labels: { ...labels("database"), ...SELECTOR } }, spec: stsSpec },
            volumeClaimTemplates: [{
                metadata: { name: "data" },
                spec: { accessModes: ["ReadWriteOnce"], storageClassName: "do-block-storage-retain", resources: { requests: { storage: "10Gi" } } },
            }],
        },
    }, { protect: true });

    const backups = b.component(`${T}Backups`, "backups");
    const backupSpec = podSpec([jobContainer("backup", "backup.sh", [{ name: "PGDATA", value: "/var/lib/postgresql/data/pgdata" }],
        [{ name: "data", mountPath: "/var/lib/postgresql/data" }])], {
        affinity: {
            podAffinity: {
                requiredDuringSchedulingIgnoredDuringExecution: [{ labelSelector: { matchLabels: SELECTOR }, topologyKey: "kubernetes.io/hostname" }],
            },
        },
    });
    (backupSpec.volumes as Props[]).push({ name: "data", persistentVolumeClaim: { claimName: "data-ternent-postgres-0" } });
    b.custom(backups, "kubernetes:batch/v1:CronJob", "backups-backup", cronJob("ternent-postgres-backup", "backend", "backup", "0 2 * * *", backupSpec));
    b.custom(backups, "kubernetes:batch/v1:CronJob", "backups-retention", cronJob("ternent-postgres-retention", "backend", "retention", "30 3 * * *",
        podSpec([jobContainer("retention", "retention.sh", [
            { name: "TERNENT_RETAIN_DAILY", value: "7" }, { name: "TERNENT_RETAIN_WEEKLY", value: "4" },
            { name: "TERNENT_PITR_DAYS", value: "7" }, { name: "TERNENT_WEEKLY_DAY", value: "sunday" },
            { name: "TERNENT_RETENTION_DRY_RUN", value: "false" },
        ])])));
    // verify.sh talks to PostgreSQL only: no WAL-G, no bucket key.
    b.custom(backups, "kubernetes:batch/v1:CronJob", "backups-verify", cronJob("ternent-postgres-verify", "backend", "verify", "* * * * *", {
        securityContext: { runAsNonRoot: true, runAsUser: 999, fsGroup: 999, seccompProfile: { type: "RuntimeDefault" } },
        containers: [{
            name: "verify", image: "postgres:15.18-bookworm", command: ["/ternent/scripts/verify.sh"],
            env: [
                { name: "TERNENT_SCRIPTS", value: "/ternent/scripts" }, { name: "TERNENT_ARCHIVE_TIMEOUT_SECONDS", value: "60" },
                { name: "TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS", value: "660" }, { name: "TERNENT_VERIFY_MAX_READY_AGE_SECONDS", value: "60" },
                { name: "PGHOST", value: "ternent-postgres.backend.svc" },
                { name: "PGPASSWORD", valueFrom: { secretKeyRef: { name: "ternent-postgres", key: "POSTGRES_PASSWORD" } } },
            ],
            securityContext: SECURITY,
            volumeMounts: [{ name: "scripts", mountPath: "/ternent/scripts", readOnly: true }],
        }],
        volumes: [{ name: "scripts", configMap: { name: "ternent-postgres-scripts", defaultMode: 0o555 } }],
    }));

    const dr = b.component(`${T}DisasterRecovery`, "dr");
    b.custom(dr, "kubernetes:core/v1:Namespace", "dr-namespace", {
        metadata: { name: "backend-dr", labels: { "pod-security.kubernetes.io/enforce": "restricted" } },
    });
    b.custom(dr, "kubernetes:core/v1:Secret", "dr-backup-secret", {
        metadata: { name: "ternent-postgres-backup", namespace: "backend-dr", labels: labels("restore-drill") },
        stringData: walgSecretData(RO_ACCESS_KEY),
    }, { deps: { stringData: [bucket, roKey, sodium] }, protect: true });
    b.custom(dr, "kubernetes:core/v1:ConfigMap", "dr-scripts", { metadata: { name: "ternent-postgres-scripts", namespace: "backend-dr" }, data: SCRIPTS });
    b.custom(dr, "kubernetes:core/v1:ConfigMap", "dr-walg", {
        metadata: { name: "ternent-postgres-walg", namespace: "backend-dr" }, data: { ...WALG_TUNING },
    });

    const drills = b.component(`${T}Drills`, "drills");
    // The drills restore into a generic ephemeral volume of 1.5 x the database's 10Gi.
    const drillSpec = (container: Props): Props => {
        const spec = podSpec([container]);
        spec.volumes = (spec.volumes as Props[]).map((v) => v.name !== "work" ? v : {
            name: "work",
            ephemeral: { volumeClaimTemplate: { spec: { accessModes: ["ReadWriteOnce"], storageClassName: "do-block-storage", resources: { requests: { storage: "15Gi" } } } } },
        });
        return spec;
    };
    b.custom(drills, "kubernetes:batch/v1:CronJob", "drills-restore-drill", cronJob("ternent-postgres-restore-drill", "backend-dr", "restore-drill",
        "0 5 * * *", drillSpec(jobContainer("restore-drill", "restore-drill.sh", [{ name: "TERNENT_WORKDIR", value: "/ternent/work" }]))));
    b.custom(drills, "kubernetes:batch/v1:CronJob", "drills-pitr-drill", cronJob("ternent-postgres-pitr-drill", "backend-dr", "pitr-drill",
        "0 6 1 * *", drillSpec(jobContainer("pitr-drill", "pitr-drill.sh", [{ name: "TERNENT_PITR_TARGET", value: "random" }]))));
    return b.resources;
}

/** A copy of the resources with `edit` applied to the inputs and outputs of the named resource. */
export function edit(resources: readonly CapturedResource[], name: string, change: (props: Props) => void): CapturedResource[] {
    let found = false;
    const out = resources.map((r) => {
        if (r.name !== name) {
            return r;
        }
        found = true;
        const inputs = clone(r.inputs);
        const outputs = clone(r.outputs);
        change(inputs);
        change(outputs);
        return { ...r, inputs, outputs };
    });
    if (!found) {
        throw new Error(`fixture has no resource named ${name}`);
    }
    return out;
}

/** A copy with other fields of one resource changed (options, dependencies, …). */
export function editResource(resources: readonly CapturedResource[], name: string,
    change: (r: CapturedResource) => CapturedResource): CapturedResource[] {
    if (!resources.some((r) => r.name === name)) {
        throw new Error(`fixture has no resource named ${name}`);
    }
    return resources.map((r) => (r.name === name ? change(clone(r)) : r));
}

export function without(resources: readonly CapturedResource[], ...names: string[]): CapturedResource[] {
    return resources.filter((r) => !names.includes(r.name));
}

/** The pod spec of a CronJob/StatefulSet fixture's props (for edits). */
export function podOf(props: Props): Props {
    const spec = props.spec as Props;
    if (spec.jobTemplate) {
        return ((((spec.jobTemplate as Props).spec as Props).template as Props).spec as Props);
    }
    return ((spec.template as Props).spec as Props);
}

/** The first app container of a fixture's pod spec (for edits). */
export function containerOf(props: Props, index = 0): Props {
    return (podOf(props).containers as Props[])[index];
}

/** Sets (or adds) an env var on a container. */
export function setEnv(container: Props, name: string, value: Props | string): void {
    const env = (container.env as Props[]) ?? (container.env = []);
    const entry = typeof value === "string" ? { name, value } : { name, ...value };
    const i = env.findIndex((e) => e.name === name);
    if (i >= 0) {
        env[i] = entry;
    } else {
        env.push(entry);
    }
}

export function removeEnv(container: Props, name: string): void {
    container.env = ((container.env as Props[]) ?? []).filter((e) => e.name !== name);
}

/** The engine's serialisation of unknown values (strings, objects). */
export const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
export const UNKNOWN_OBJECT = "dd056dcd-154b-4c76-9bd3-c8f88648b5ff";

/** Outputs a provider computes when it creates the resource (unknown in the first preview). */
const COMPUTED: Record<string, string[]> = {
    "random:index/randomPassword:RandomPassword": ["result"],
    "digitalocean:index/spacesKey:SpacesKey": ["accessKey", "secretKey"],
    "digitalocean:index/spacesBucket:SpacesBucket": ["bucketDomainName", "endpoint"],
};

/**
 * The stack as the first preview of a new stack shows it: what providers compute is unknown, and a
 * Secret whose data is built from one of those resources has its whole stringData unknown (what the
 * real engine shows, see test/realengine/).
 */
export function firstPreview(resources: readonly CapturedResource[]): CapturedResource[] {
    const computing = new Set(resources.filter((r) => COMPUTED[r.type]).map((r) => r.urn));
    return resources.map((r) => {
        const outputs = clone(r.outputs);
        for (const field of COMPUTED[r.type] ?? []) {
            outputs[field] = UNKNOWN_STRING;
        }
        if (r.type === "kubernetes:core/v1:Secret" && (r.propertyDependencies.stringData ?? []).some((u) => computing.has(u))) {
            return { ...r, inputs: { ...clone(r.inputs), stringData: UNKNOWN_OBJECT }, outputs: { ...outputs, stringData: UNKNOWN_OBJECT } };
        }
        return { ...r, outputs };
    });
}
