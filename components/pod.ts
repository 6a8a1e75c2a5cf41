// Shared pod builders: the restricted security profile, the WAL-G init container, the standard
// volumes (/ternent/scripts, /ternent/bin, sockets, /tmp) and CronJob specs, so every workload of
// the project gets the same hardening and the same paths (docs/architecture.md, "Paths inside every pod").

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { NAMES, PATHS, SCRIPTS } from "../lib/contract";
import type { WalgConfig } from "../config";
import { Labels } from "./labels";
import type { DatabaseRefs } from "./postgres";
import { walgTuning } from "./walg";

type PodSpec = k8s.types.input.core.v1.PodSpec;
type Container = k8s.types.input.core.v1.Container;
type Volume = k8s.types.input.core.v1.Volume;
type VolumeMount = k8s.types.input.core.v1.VolumeMount;
type EnvVar = k8s.types.input.core.v1.EnvVar;
type EnvFromSource = k8s.types.input.core.v1.EnvFromSource;
type Resources = k8s.types.input.core.v1.ResourceRequirements;
type Affinity = k8s.types.input.core.v1.Affinity;

// Declared with the component that provides them (postgres.ts); here for the builders of the jobs.
export type { DatabaseRefs };

/** uid/gid of the postgres user in the official Debian-based image. */
export const POSTGRES_UID = 999;

/** Pod-level part of the Kubernetes "restricted" Pod Security Standard. */
export function podSecurityContext(): k8s.types.input.core.v1.PodSecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser: POSTGRES_UID,
        runAsGroup: POSTGRES_UID,
        fsGroup: POSTGRES_UID,
        fsGroupChangePolicy: "OnRootMismatch",
        seccompProfile: { type: "RuntimeDefault" },
    };
}

/** Container-level part of the restricted profile (repeated on every container, init included). */
export function containerSecurityContext(): k8s.types.input.core.v1.SecurityContext {
    return {
        runAsNonRoot: true,
        runAsUser: POSTGRES_UID,
        runAsGroup: POSTGRES_UID,
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
        capabilities: { drop: ["ALL"] },
        seccompProfile: { type: "RuntimeDefault" },
    };
}

export const VOLUMES = {
    scripts: "scripts", bin: "walg-bin", run: "run", tmp: "tmp", work: "work", conf: "conf",
    walgSecret: "walg-secret", secrets: "secrets", shm: "shm", verdict: "verdict",
} as const;

/** The scripts ConfigMap, executable (0555). */
export function scriptsVolume(configMap: pulumi.Input<string>): Volume {
    return { name: VOLUMES.scripts, configMap: { name: configMap, defaultMode: 0o555 } };
}

export function emptyDirVolume(name: string, sizeLimit?: string): Volume {
    return { name, emptyDir: sizeLimit ? { sizeLimit } : {} };
}

/** A memory-backed emptyDir (tmpfs; counts towards the container's memory limit). */
export function memoryVolume(name: string, sizeLimit: string): Volume {
    return { name, emptyDir: { medium: "Memory", sizeLimit } };
}

/**
 * A generic ephemeral volume: a PVC of its own, created with the pod and deleted with it, so a drill's
 * scratch lives on a block volume sized for it instead of the node's root disk (no eviction for disk
 * pressure, no surprise on a node whose disk is smaller than the database).
 */
export function ephemeralVolume(name: string, size: string, storageClassName: string, labels: Labels): Volume {
    return {
        name,
        ephemeral: {
            volumeClaimTemplate: {
                metadata: { labels: { ...labels } },
                spec: { accessModes: ["ReadWriteOnce"], storageClassName, resources: { requests: { storage: size } } },
            },
        },
    };
}

/** Environment every container of the project gets. */
export function baseEnv(): EnvVar[] {
    return [
        { name: "TERNENT_BIN", value: PATHS.bin },
        { name: "TERNENT_SCRIPTS", value: PATHS.scripts },
    ];
}

/** Literal env entries, in the given order (policies read these values as the pod runs them). */
export function literalEnv(values: Readonly<Record<string, pulumi.Input<string>>>): EnvVar[] {
    return Object.entries(values).map(([name, value]) => ({ name, value }));
}

/** libpq connection env for jobs that talk to the primary through its Service. */
export function pgConnectionEnv(host: string, credentialsSecret: string): EnvVar[] {
    const fromSecret = (name: string, key: string): EnvVar => ({ name, valueFrom: { secretKeyRef: { name: credentialsSecret, key } } });
    return [
        { name: "PGHOST", value: host },
        { name: "PGPORT", value: "5432" },
        fromSecret("PGUSER", "POSTGRES_USER"),
        fromSecret("PGPASSWORD", "POSTGRES_PASSWORD"),
        fromSecret("PGDATABASE", "POSTGRES_DB"),
    ];
}

/** WAL-G storage env (Secret) and tuning env (ConfigMap). */
export function walgEnvFrom(secret: pulumi.Input<string>, configMap: pulumi.Input<string>): EnvFromSource[] {
    return [{ secretRef: { name: secret } }, { configMapRef: { name: configMap } }];
}

export const SMALL_RESOURCES: Resources = { requests: { cpu: "10m", memory: "32Mi" }, limits: { cpu: "200m", memory: "128Mi" } };
export const JOB_RESOURCES: Resources = { requests: { cpu: "100m", memory: "256Mi" }, limits: { cpu: "1", memory: "1Gi" } };
/**
 * Restore Job and drills. The node disk they use (emptyDirs: /tmp, WAL-G, the restore Job's 1Gi log and
 * socket directory) is requested, so the scheduler places them where it fits and the kubelet does not
 * evict them first; the drills' restored data directory is on a volume of its own (ephemeralVolume).
 */
export const RESTORE_RESOURCES: Resources = {
    requests: { "cpu": "250m", "memory": "512Mi", "ephemeral-storage": "2Gi" },
    limits: { "cpu": "1", "memory": "1Gi", "ephemeral-storage": "3Gi" },
};

/** Resources of the installer init container; the database's pod uses GUARANTEED_INIT (requests = limits). */
const INSTALLER_RESOURCES: Resources = { requests: { cpu: "50m", memory: "64Mi" }, limits: { cpu: "500m", memory: "256Mi" } };
/** Init containers of the database's pod: requests = limits, or the pod loses Guaranteed QoS. */
export const GUARANTEED_INIT: Resources = { requests: { cpu: "200m", memory: "128Mi" }, limits: { cpu: "200m", memory: "128Mi" } };

/** Init container that installs the pinned WAL-G into /ternent/bin, verifying its sha256 (fails closed). */
export function walgInitContainer(walg: WalgConfig, resources: Resources = INSTALLER_RESOURCES): Container {
    return {
        name: "walg-install",
        image: walg.installerImage,
        imagePullPolicy: "IfNotPresent",
        command: [`${PATHS.scripts}/${SCRIPTS.walgInstall}`],
        env: [
            ...baseEnv(),
            ...literalEnv({ WALG_VERSION: walg.version, WALG_URL: walg.url, WALG_SHA256: walg.sha256 }),
        ],
        volumeMounts: [
            { name: VOLUMES.scripts, mountPath: PATHS.scripts, readOnly: true },
            { name: VOLUMES.bin, mountPath: PATHS.bin },
            { name: VOLUMES.tmp, mountPath: PATHS.tmp },
        ],
        resources,
        securityContext: containerSecurityContext(),
    };
}

/**
 * Init container of the database's pod that turns the mounted WAL-G Secret into the one 0400 file only
 * archive_command/restore_command read (scripts/walg-secret.sh): the postgres container never gets the
 * Spaces key pair or the libsodium key in its environment, nor the Secret volume.
 */
export function walgSecretInitContainer(image: string): Container {
    return {
        name: "walg-secret",
        image,
        imagePullPolicy: "IfNotPresent",
        command: [`${PATHS.scripts}/${SCRIPTS.walgSecret}`],
        env: [...baseEnv(), ...literalEnv({ TERNENT_WALG_SECRET_DIR: PATHS.walgSecretDir, TERNENT_WALG_ENV_FILE: PATHS.walgEnvFile })],
        volumeMounts: [
            { name: VOLUMES.scripts, mountPath: PATHS.scripts, readOnly: true },
            { name: VOLUMES.walgSecret, mountPath: PATHS.walgSecretDir, readOnly: true },
            { name: VOLUMES.secrets, mountPath: PATHS.secretsDir },
        ],
        resources: GUARANTEED_INIT,
        securityContext: containerSecurityContext(),
    };
}

/** Where a job's verdict goes: the alert webhook (Secret NAMES.alertsSecret) and whether passing runs are posted. */
export interface AlertSettings {
    /** Image with sh + curl (walg.installerImage). */
    readonly image: string;
    /** Secret in the pod's namespace holding TERNENT_ALERT_WEBHOOK_URL. */
    readonly secretName: pulumi.Input<string>;
    readonly onSuccess: boolean;
    /** Stack and namespace, named in the message. */
    readonly source: pulumi.Input<string>;
}

/**
 * The pod of a job with alerting: the job's container runs its script through verdict.sh (which keeps
 * the verdict and exit code, changing neither), and a native sidecar (an init container with
 * restartPolicy Always, first so it also sees a failed init container) runs alert.sh, which posts the
 * verdict once the job's container ended. The kubelet ignores a sidecar's exit code, so alerting cannot
 * change the Job's result.
 */
export function withAlerts(pod: PodSpec, job: string, alerts: AlertSettings): PodSpec {
    const containers = (pod.containers as Container[]).map((c, i) => (i !== 0 ? c : {
        ...c,
        command: [`${PATHS.scripts}/${SCRIPTS.verdict}`, ...(c.command as string[])],
        env: [...(c.env as EnvVar[] ?? []), { name: "TERNENT_VERDICT_DIR", value: PATHS.verdict }],
        volumeMounts: [...(c.volumeMounts as VolumeMount[] ?? []), { name: VOLUMES.verdict, mountPath: PATHS.verdict }],
    }));
    const sidecar: Container = {
        name: "alert",
        image: alerts.image,
        imagePullPolicy: "IfNotPresent",
        restartPolicy: "Always",
        command: [`${PATHS.scripts}/${SCRIPTS.alert}`],
        env: [
            ...literalEnv({
                TERNENT_VERDICT_DIR: PATHS.verdict,
                TERNENT_ALERT_JOB: job,
                TERNENT_ALERT_SOURCE: alerts.source,
                TERNENT_ALERT_ON_SUCCESS: String(alerts.onSuccess),
            }),
            { name: "TERNENT_ALERT_WEBHOOK_URL", valueFrom: { secretKeyRef: { name: alerts.secretName, key: "TERNENT_ALERT_WEBHOOK_URL" } } },
        ],
        volumeMounts: [
            { name: VOLUMES.scripts, mountPath: PATHS.scripts, readOnly: true },
            { name: VOLUMES.verdict, mountPath: PATHS.verdict },
        ],
        resources: SMALL_RESOURCES,
        securityContext: containerSecurityContext(),
    };
    return {
        ...pod,
        initContainers: [sidecar, ...(pod.initContainers as Container[] ?? [])],
        containers,
        volumes: [...(pod.volumes as Volume[] ?? []), emptyDirVolume(VOLUMES.verdict, "16Mi")],
    };
}

/** Common pod fields: restricted security, no service-account token, no service-link env. */
export function hardenedPod(spec: PodSpec): PodSpec {
    return {
        automountServiceAccountToken: false,
        enableServiceLinks: false,
        securityContext: podSecurityContext(),
        ...spec,
    };
}

export interface ScriptPodArgs {
    /** Image of the main container (the postgres image: bash, perl, psql, pg_ctl). */
    readonly image: string;
    /** File in scripts/ the container runs. */
    readonly script: string;
    /** Name of the main container. */
    readonly containerName: string;
    /** Scripts ConfigMap in the pod's namespace. */
    readonly scriptsConfigMap: pulumi.Input<string>;
    /** WAL-G pin; when set, an init container installs WAL-G into /ternent/bin. */
    readonly walg?: WalgConfig;
    /** Literal env (after TERNENT_BIN/TERNENT_SCRIPTS). */
    readonly env?: Readonly<Record<string, pulumi.Input<string>>>;
    /** Env entries with references (secretKeyRef, …). */
    readonly envRefs?: readonly EnvVar[];
    readonly envFrom?: readonly EnvFromSource[];
    readonly volumes?: readonly Volume[];
    readonly volumeMounts?: readonly VolumeMount[];
    readonly resources: Resources;
    readonly affinity?: Affinity;
    /** Size limit of /tmp. */
    readonly tmpSize?: string;
}

/** A run-to-completion pod running one script of scripts/ (restartPolicy Never). */
export function scriptPod(args: ScriptPodArgs): PodSpec {
    const volumes: Volume[] = [
        scriptsVolume(args.scriptsConfigMap),
        emptyDirVolume(VOLUMES.run),
        emptyDirVolume(VOLUMES.tmp, args.tmpSize ?? "256Mi"),
        ...(args.walg ? [emptyDirVolume(VOLUMES.bin, "256Mi")] : []),
        ...(args.volumes ?? []),
    ];
    const mounts: VolumeMount[] = [
        { name: VOLUMES.scripts, mountPath: PATHS.scripts, readOnly: true },
        { name: VOLUMES.run, mountPath: PATHS.socketDir },
        { name: VOLUMES.tmp, mountPath: PATHS.tmp },
        ...(args.walg ? [{ name: VOLUMES.bin, mountPath: PATHS.bin, readOnly: true }] : []),
        ...(args.volumeMounts ?? []),
    ];
    return hardenedPod({
        restartPolicy: "Never",
        affinity: args.affinity,
        initContainers: args.walg ? [walgInitContainer(args.walg)] : undefined,
        containers: [{
            name: args.containerName,
            image: args.image,
            imagePullPolicy: "IfNotPresent",
            command: [`${PATHS.scripts}/${args.script}`],
            env: [...baseEnv(), ...literalEnv(args.env ?? {}), ...(args.envRefs ?? [])],
            envFrom: args.envFrom ? [...args.envFrom] : undefined,
            volumeMounts: mounts,
            resources: args.resources,
            securityContext: containerSecurityContext(),
        }],
        volumes,
    });
}

export interface CronSettings {
    /** 5-field cron, UTC. */
    readonly schedule: string;
    /** A run that could not start within this many seconds is skipped. */
    readonly startingDeadlineSeconds: number;
    /** A run is killed after this many seconds. */
    readonly activeDeadlineSeconds: number;
    /** Retries of a failed run. */
    readonly backoffLimit: number;
    /** Finished Jobs kept, of each outcome (default 3). */
    readonly historyLimit?: number;
}

/** CronJob spec: UTC, never two runs at once, bounded runs, short history. */
export function cronJobSpec(settings: CronSettings, labels: Labels, pod: PodSpec): k8s.types.input.batch.v1.CronJobSpec {
    return {
        schedule: settings.schedule,
        timeZone: "Etc/UTC",
        concurrencyPolicy: "Forbid",
        startingDeadlineSeconds: settings.startingDeadlineSeconds,
        successfulJobsHistoryLimit: settings.historyLimit ?? 3,
        failedJobsHistoryLimit: settings.historyLimit ?? 3,
        jobTemplate: {
            metadata: { labels: { ...labels } },
            spec: {
                backoffLimit: settings.backoffLimit,
                activeDeadlineSeconds: settings.activeDeadlineSeconds,
                template: { metadata: { labels: { ...labels } }, spec: pod },
            },
        },
    };
}

/** Mount of a data PVC at /var/lib/postgresql/data (PGDATA is its pgdata subdirectory). */
export function dataVolume(name: string, claimName: pulumi.Input<string>): { volume: Volume; mount: VolumeMount } {
    return {
        volume: { name, persistentVolumeClaim: { claimName } },
        mount: { name, mountPath: PATHS.dataMount },
    };
}

/** Required pod affinity to the Postgres pod's node (the data PVC is ReadWriteOnce). */
export function sameNodeAsPostgres(selectorLabels: Readonly<Record<string, string>>, namespace: string): Affinity {
    return {
        podAffinity: {
            requiredDuringSchedulingIgnoredDuringExecution: [{
                labelSelector: { matchLabels: { ...selectorLabels } },
                namespaces: [namespace],
                topologyKey: "kubernetes.io/hostname",
            }],
        },
    };
}

/**
 * The pod of a base backup. remote (default): WAL-G streams it over the replication protocol from the
 * Service, no volume, any node (a drained database pod never waits for a backup to release its
 * ReadWriteOnce volume). local: mounts the primary's PVC read-only on the primary's node.
 */
export function backupPod(image: string, walg: WalgConfig, db: DatabaseRefs): PodSpec {
    const remote: ScriptPodArgs = {
        image,
        script: SCRIPTS.backup,
        containerName: "backup",
        scriptsConfigMap: db.scriptsConfigMapName,
        walg,
        envRefs: pgConnectionEnv(db.serviceHost, db.credentialsSecretName),
        envFrom: walgEnvFrom(db.backupSecretName, db.walgConfigMapName),
        resources: JOB_RESOURCES,
    };
    if (db.backupMode === "remote") {
        return scriptPod(remote);
    }
    const data = dataVolume("data", db.dataClaimName);
    return scriptPod({
        ...remote,
        env: { PGDATA: PATHS.pgdata },
        volumes: [data.volume],
        // wal-g backup-push only reads the data directory.
        volumeMounts: [{ ...data.mount, readOnly: true }],
        affinity: sameNodeAsPostgres(db.selectorLabels, db.namespace),
    });
}

/**
 * The two ConfigMaps the project's pods in a namespace read: the scripts (mounted at /ternent/scripts)
 * and the WAL-G tuning (envFrom), as children `${name}-scripts` and `${name}-walg` of `parent`.
 */
export function podConfigMaps(name: string, parent: pulumi.Resource, meta: (objectName: string) => k8s.types.input.meta.v1.ObjectMeta,
    scripts: Readonly<Record<string, string>>, walg: WalgConfig): [k8s.core.v1.ConfigMap, k8s.core.v1.ConfigMap] {
    const scriptsMap = new k8s.core.v1.ConfigMap(`${name}-scripts`, {
        metadata: meta(NAMES.scriptsConfigMap),
        data: { ...scripts },
    }, { parent });
    const walgMap = new k8s.core.v1.ConfigMap(`${name}-walg`, {
        metadata: meta(NAMES.walgConfigMap),
        data: walgTuning(walg),
    }, { parent });
    return [scriptsMap, walgMap];
}
