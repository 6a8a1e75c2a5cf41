// The database: credentials and WAL-G Secrets, postgresql.conf, the scripts and WAL-G ConfigMaps, the
// Service, the single-replica StatefulSet (WAL-G installed by a verifying init container, WAL archived
// by archive-command.sh) and the NetworkPolicy admitting only the API and this project's jobs.

import * as crypto from "crypto";
import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import * as random from "@pulumi/random";
import { quotePgConf } from "../policy/lib/pgconf";
import { ANNOTATIONS, LABELS, NAMES, PATHS, SCRIPTS } from "../lib/contract";
import type { PostgresConfig } from "../config";
import { adoptOptions, StackContext } from "./context";
import { labelsFor } from "./labels";
import {
    baseEnv, containerSecurityContext, DatabaseRefs, emptyDirVolume, hardenedPod, literalEnv, podConfigMaps, scriptsVolume, VOLUMES,
    walgEnvFrom, walgInitContainer,
} from "./pod";
import { WalgAccess, walgSecretAnnotations, walgSecretData } from "./walg";

/** postgresql.conf of the primary (docs/architecture.md): archiving through WAL-G plus a cheap profile. */
export function renderPostgresqlConf(pg: PostgresConfig): string {
    const lines: [string, string][] = [
        ["listen_addresses", quotePgConf("*")],
        ["port", "5432"],
        ["unix_socket_directories", quotePgConf(PATHS.socketDir)],
        ["max_connections", "50"],
        ["password_encryption", quotePgConf("scram-sha-256")],
        ["shared_buffers", quotePgConf("128MB")],
        ["effective_cache_size", quotePgConf("384MB")],
        ["work_mem", quotePgConf("4MB")],
        ["maintenance_work_mem", quotePgConf("64MB")],
        ["dynamic_shared_memory_type", "posix"],
        ["wal_level", "replica"],
        ["wal_compression", "on"],
        ["max_wal_size", quotePgConf("1GB")],
        ["min_wal_size", quotePgConf("80MB")],
        ["checkpoint_timeout", quotePgConf("15min")],
        ["archive_mode", "on"],
        ["archive_command", quotePgConf(`${PATHS.scripts}/${SCRIPTS.archiveCommand} %p`)],
        ["archive_timeout", String(pg.archiveTimeoutSeconds)],
        ["restore_command", quotePgConf(`${PATHS.scripts}/${SCRIPTS.restoreCommand} %f %p`)],
        ["log_timezone", quotePgConf("UTC")],
        ["timezone", quotePgConf("UTC")],
        ["log_checkpoints", "on"],
        ["log_min_duration_statement", quotePgConf("1s")],
    ];
    return [
        "# Rendered by the ternent-postgres Pulumi program (components/postgres.ts); edit the stack config, not this file.",
        "# archive_timeout bounds how much an idle database can lose (seconds).",
        ...lines.map(([k, v]) => `${k} = ${v}`),
        "",
    ].join("\n");
}

export interface PostgresArgs {
    /** Values every component needs (the primary namespace, exists; not created here). */
    readonly context: StackContext;
    /** Database settings from the stack config. */
    readonly postgres: PostgresConfig;
    /** The current generation's prefix with the read-write key. */
    readonly storage: WalgAccess;
    /** Data generation the database runs on (0: the claim template). */
    readonly dataGeneration: number;
    /** PVC of generation ≥ 1 (absent for generation 0). */
    readonly dataClaimName?: pulumi.Input<string>;
    /** Password the database was initialised with; generated when absent. */
    readonly password?: pulumi.Output<string>;
    /** Pods allowed to reach 5432 (besides this project's jobs). */
    readonly apiPodSelector: Readonly<Record<string, string>>;
    /** Resources the StatefulSet and the WAL-G Secret must wait for (a restore Job, API scale-down). */
    readonly waitFor: readonly pulumi.Resource[];
    /**
     * ha profile (docs/ha.md): the StatefulSet's replicas (0 once the operator's cluster took over; its volume
     * stays) and the pods Service ternent-postgres selects (the cluster's leader: the API keeps its host).
     */
    readonly ha?: { readonly replicas: 0 | 1; readonly serviceSelector: Readonly<Record<string, string>> };
}

/** The database; its DatabaseRefs (documented there) are what the jobs, the handover and the drills use. */
export class Postgres extends pulumi.ComponentResource implements DatabaseRefs {
    readonly namespace: string;
    readonly serviceHost: string;
    readonly credentialsSecretName: string;
    readonly backupSecretName: string;
    readonly scriptsConfigMapName: string;
    readonly walgConfigMapName: string;
    readonly dataClaimName: pulumi.Output<string>;
    readonly selectorLabels: Readonly<Record<string, string>>;
    readonly ready: readonly pulumi.Resource[];
    readonly statefulSet: k8s.apps.v1.StatefulSet;
    /** Secrets and ConfigMaps the jobs read. */
    readonly configObjects: readonly pulumi.Resource[];
    /** The database password (secret). */
    readonly password: pulumi.Output<string>;

    constructor(name: string, args: PostgresArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ternent-postgres:index:Postgres", name, {}, opts);
        const { stack, namespaces, image, walg, scripts, protect } = args.context;
        const ns = namespaces.primary;
        const pg = args.postgres;
        const labels = labelsFor(stack, "database");
        const meta = (objectName: string, extra: Partial<k8s.types.input.meta.v1.ObjectMeta> = {}): k8s.types.input.meta.v1.ObjectMeta =>
            ({ name: objectName, namespace: ns, labels: { ...labels }, ...extra });
        const adopt = (objectName: string): pulumi.CustomResourceOptions => adoptOptions(args.context.adopt, `${ns}/${objectName}`);

        this.namespace = ns;
        this.serviceHost = `${NAMES.postgres}.${ns}.svc`;
        this.credentialsSecretName = NAMES.postgres;
        this.backupSecretName = NAMES.backupSecret;
        this.scriptsConfigMapName = NAMES.scriptsConfigMap;
        this.walgConfigMapName = NAMES.walgConfigMap;
        this.selectorLabels = pg.selectorLabels;

        if (args.password) {
            this.password = args.password;
        } else {
            const pw = new random.RandomPassword(`${name}-password`, { length: 32, special: false }, { parent: this, protect });
            this.password = pulumi.secret(pw.result);
        }

        const credentials = new k8s.core.v1.Secret(`${name}-credentials`, {
            metadata: meta(NAMES.postgres),
            type: "Opaque",
            stringData: { POSTGRES_USER: pg.user, POSTGRES_DB: pg.database, POSTGRES_PASSWORD: this.password },
        }, { parent: this, protect, ...adopt(NAMES.postgres) });

        const backupSecret = new k8s.core.v1.Secret(`${name}-backup-secret`, {
            metadata: meta(NAMES.backupSecret, {
                labels: labelsFor(stack, "backup"),
                annotations: walgSecretAnnotations(args.storage),
            }),
            type: "Opaque",
            stringData: walgSecretData(args.storage),
        }, {
            parent: this, protect, ...adopt(NAMES.backupSecret),
            // A new generation's prefix only once its data exists (the restore Job succeeded): a job pod
            // starting during the restore must not back the old database up into the new prefix.
            dependsOn: [...args.waitFor],
        });

        const conf = renderPostgresqlConf(pg);
        const confMap = new k8s.core.v1.ConfigMap(`${name}-config`, {
            metadata: meta(NAMES.postgres),
            data: { "postgresql.conf": conf },
        }, { parent: this, ...adopt(NAMES.postgres) });

        const [scriptsMap, walgMap] = podConfigMaps(name, this, meta, scripts, walg);
        this.configObjects = [credentials, backupSecret, confMap, scriptsMap, walgMap];

        new k8s.core.v1.Service(`${name}-service`, {
            metadata: meta(NAMES.postgres),
            spec: {
                type: "ClusterIP",
                selector: { ...(args.ha?.serviceSelector ?? pg.selectorLabels) },
                ports: [{ name: "postgres", port: 5432, targetPort: "postgres", protocol: "TCP" }],
            },
        }, { parent: this, ...adopt(NAMES.postgres) });

        // Generation 0 lives on the claim template's PVC; generation N on its own PVC, mounted under a
        // different volume name so the template's PVC stays bound and untouched for rollback.
        const template = pg.volumeClaimTemplate;
        const dataVolumeName = args.dataGeneration === 0 ? template : `data-g${args.dataGeneration}`;
        this.dataClaimName = args.dataGeneration === 0 || args.dataClaimName === undefined
            ? pulumi.output(`${template}-${NAMES.postgres}-0`)
            : pulumi.output(args.dataClaimName);

        const probe = (period: number, failures: number): k8s.types.input.core.v1.Probe => ({
            exec: { command: ["pg_isready", "-h", "127.0.0.1", "-p", "5432", "-U", pg.user, "-d", pg.database] },
            periodSeconds: period,
            timeoutSeconds: 5,
            failureThreshold: failures,
        });
        const podLabels = { ...labels, ...pg.selectorLabels };
        this.statefulSet = new k8s.apps.v1.StatefulSet(`${name}-statefulset`, {
            metadata: meta(NAMES.postgres),
            spec: {
                serviceName: pg.serviceName,
                replicas: args.ha?.replicas ?? 1,
                selector: { matchLabels: { ...pg.selectorLabels } },
                persistentVolumeClaimRetentionPolicy: { whenDeleted: "Retain", whenScaled: "Retain" },
                updateStrategy: { type: "RollingUpdate" },
                template: {
                    metadata: {
                        labels: podLabels,
                        annotations: { [ANNOTATIONS.configHash]: crypto.createHash("sha256").update(conf).digest("hex") },
                    },
                    spec: hardenedPod({
                        terminationGracePeriodSeconds: 120,
                        initContainers: [walgInitContainer(walg)],
                        containers: [{
                            name: "postgres",
                            image,
                            imagePullPolicy: "IfNotPresent",
                            command: ["docker-entrypoint.sh"],
                            args: ["postgres", "-c", `config_file=${PATHS.confFile}`],
                            ports: [{ name: "postgres", containerPort: 5432, protocol: "TCP" }],
                            env: [...baseEnv(), ...literalEnv({ PGDATA: PATHS.pgdata })],
                            envFrom: [{ secretRef: { name: NAMES.postgres } }, ...walgEnvFrom(NAMES.backupSecret, NAMES.walgConfigMap)],
                            volumeMounts: [
                                { name: dataVolumeName, mountPath: PATHS.dataMount },
                                { name: VOLUMES.conf, mountPath: PATHS.conf, readOnly: true },
                                { name: VOLUMES.scripts, mountPath: PATHS.scripts, readOnly: true },
                                { name: VOLUMES.bin, mountPath: PATHS.bin, readOnly: true },
                                { name: VOLUMES.run, mountPath: PATHS.socketDir },
                                { name: VOLUMES.tmp, mountPath: PATHS.tmp },
                            ],
                            resources: {
                                requests: { ...pg.resources.requests },
                                limits: { ...pg.resources.limits },
                            },
                            securityContext: containerSecurityContext(),
                            // Crash recovery after an unclean stop can take a while: be patient at start only.
                            startupProbe: probe(10, 360),
                            readinessProbe: probe(10, 3),
                            livenessProbe: probe(30, 6),
                        }],
                        volumes: [
                            ...(args.dataGeneration === 0 ? [] : [{ name: dataVolumeName, persistentVolumeClaim: { claimName: this.dataClaimName } }]),
                            { name: VOLUMES.conf, configMap: { name: NAMES.postgres } },
                            scriptsVolume(NAMES.scriptsConfigMap),
                            emptyDirVolume(VOLUMES.bin, "256Mi"),
                            emptyDirVolume(VOLUMES.run),
                            emptyDirVolume(VOLUMES.tmp, "1Gi"),
                        ],
                    }),
                },
                volumeClaimTemplates: [{
                    metadata: { name: template },
                    spec: {
                        accessModes: ["ReadWriteOnce"],
                        storageClassName: pg.storageClass,
                        resources: { requests: { storage: pg.storageSize } },
                    },
                }],
            },
        }, {
            parent: this,
            protect: protect || args.context.adopt,
            dependsOn: [...this.configObjects, ...args.waitFor],
            // The claim template only creates generation 0's PVC, once; it is immutable, so a later
            // change (or a bundle whose template differs) must not replace the StatefulSet.
            ignoreChanges: ["spec.volumeClaimTemplates"],
            ...adopt(NAMES.postgres),
        });

        new k8s.networking.v1.NetworkPolicy(`${name}-network-policy`, {
            metadata: meta(NAMES.postgres),
            spec: {
                podSelector: { matchLabels: { ...pg.selectorLabels } },
                policyTypes: ["Ingress"],
                ingress: [{
                    from: [
                        { podSelector: { matchLabels: { ...args.apiPodSelector } } },
                        {
                            podSelector: {
                                matchLabels: { [LABELS.partOf]: "ternent-postgres", [LABELS.instance]: stack },
                                matchExpressions: [{ key: LABELS.component, operator: "In", values: ["backup", "canary", "verify", "migrate"] }],
                            },
                        },
                    ],
                    ports: [{ protocol: "TCP", port: 5432 }],
                }],
            },
        }, { parent: this, ...adopt(NAMES.postgres) });

        this.ready = [...this.configObjects, this.statefulSet];

        this.registerOutputs({
            namespace: this.namespace,
            serviceHost: this.serviceHost,
            dataClaimName: this.dataClaimName,
        });
    }
}
