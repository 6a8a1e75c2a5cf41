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
    baseEnv, containerSecurityContext, emptyDirVolume, GUARANTEED_INIT, hardenedPod, literalEnv, memoryVolume, pgConnectionEnv,
    podConfigMaps, scriptPod, scriptsVolume, SMALL_RESOURCES, VOLUMES, walgInitContainer, walgSecretInitContainer,
} from "./pod";
import { WalgAccess, walgSecretAnnotations, walgSecretData } from "./walg";

/**
 * pg_hba.conf of the primary (hba_file in postgresql.conf): what the image's initdb writes (trust on the
 * pod's own socket and loopback, SCRAM passwords from anywhere else) plus, for base backups over the
 * replication protocol, replication connections of the superuser with its password.
 */
export function renderPgHba(pg: PostgresConfig): string {
    return [
        "# Rendered by the ternent-postgres Pulumi program (components/postgres.ts).",
        "# TYPE  DATABASE     USER  ADDRESS       METHOD",
        "local   all          all                 trust",
        "host    all          all   127.0.0.1/32  trust",
        "host    all          all   ::1/128       trust",
        "local   replication  all                 trust",
        "host    replication  all   127.0.0.1/32  trust",
        "host    replication  all   ::1/128       trust",
        ...(pg.backupMode === "remote" ? [`host    replication  ${pg.user}  all  scram-sha-256`] : []),
        "host    all          all   all           scram-sha-256",
        "",
    ].join("\n");
}

/** postgresql.conf of the primary (docs/architecture.md): archiving through WAL-G plus a cheap profile. */
export function renderPostgresqlConf(pg: PostgresConfig): string {
    const lines: [string, string][] = [
        ["listen_addresses", quotePgConf("*")],
        ["port", "5432"],
        ["unix_socket_directories", quotePgConf(PATHS.socketDir)],
        ["hba_file", quotePgConf(PATHS.hbaFile)],
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

/** What the jobs of the primary's namespace need to know about the database (Postgres outputs). */
export type DatabaseRefs = Pick<Postgres, "namespace" | "serviceHost" | "credentialsSecretName" | "backupSecretName" | "scriptsConfigMapName" |
    "walgConfigMapName" | "dataClaimName" | "selectorLabels" | "backupMode" | "ready">;

/** The database; its DatabaseRefs are what the jobs, the handover and the drills use. */
export class Postgres extends pulumi.ComponentResource {
    /** Namespace of the database. */
    readonly namespace: string;
    /** In-cluster DNS name of the Service. */
    readonly serviceHost: string;
    /** Secret with POSTGRES_USER/POSTGRES_DB/POSTGRES_PASSWORD. */
    readonly credentialsSecretName: string;
    /** Secret with the WAL-G storage env (read-write key, current generation). */
    readonly backupSecretName: string;
    /** ConfigMap with the scripts. */
    readonly scriptsConfigMapName: string;
    /** ConfigMap with the WAL-G tuning env. */
    readonly walgConfigMapName: string;
    /** PVC the database runs on. */
    readonly dataClaimName: pulumi.Output<string>;
    /** Labels selecting the Postgres pod. */
    readonly selectorLabels: Readonly<Record<string, string>>;
    /** How base backups read the database (postgres.backupMode). */
    readonly backupMode: "remote" | "local";
    /** The StatefulSet and the objects it reads: jobs are created after them. */
    readonly ready: readonly pulumi.Resource[];
    readonly statefulSet: k8s.apps.v1.StatefulSet;
    /** Secret with the API's credentials (its own role, not the superuser). */
    readonly appSecretName: string;
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
        this.backupMode = pg.backupMode;
        this.appSecretName = NAMES.appSecret;

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

        // The API's own role (scripts/app-role.sh creates it): LOGIN, no superuser, owns the database.
        const appPassword = new random.RandomPassword(`${name}-app-password`, { length: 32, special: false }, { parent: this, protect });
        const appSecret = new k8s.core.v1.Secret(`${name}-app-credentials`, {
            metadata: meta(NAMES.appSecret),
            type: "Opaque",
            stringData: {
                POSTGRES_USER: pg.appUser,
                POSTGRES_PASSWORD: pulumi.secret(appPassword.result),
                POSTGRES_DB: pg.database,
                POSTGRES_HOST: this.serviceHost,
                POSTGRES_PORT: "5432",
                DATABASE_URL: pulumi.secret(pulumi.interpolate`postgres://${pg.appUser}:${appPassword.result}@${this.serviceHost}:5432/${pg.database}`),
            },
        }, { parent: this, protect });

        const conf = renderPostgresqlConf(pg);
        const hba = renderPgHba(pg);
        const confMap = new k8s.core.v1.ConfigMap(`${name}-config`, {
            metadata: meta(NAMES.postgres),
            data: { "postgresql.conf": conf, "pg_hba.conf": hba },
        }, { parent: this, ...adopt(NAMES.postgres) });

        const [scriptsMap, walgMap] = podConfigMaps(name, this, meta, scripts, walg);
        this.configObjects = [credentials, backupSecret, appSecret, confMap, scriptsMap, walgMap];

        new k8s.core.v1.Service(`${name}-service`, {
            metadata: meta(NAMES.postgres),
            spec: {
                type: "ClusterIP",
                selector: { ...(args.ha?.serviceSelector ?? pg.selectorLabels) },
                ports: [{ name: "postgres", port: 5432, targetPort: "postgres", protocol: "TCP" }],
            },
        }, {
            parent: this,
            // The API server assigns the cluster IP; the provider replaces a Service whose clusterIP
            // changes, which an imported (adopted) Service cannot be: the live value is kept.
            ignoreChanges: ["spec.clusterIP", "spec.clusterIPs"],
            ...adopt(NAMES.postgres),
        });

        // The StatefulSet's governing Service: headless, so the pod's DNS name resolves. A bundle adopted
        // with serviceName ternent-postgres (immutable) keeps its ClusterIP Service as governing service.
        if (pg.serviceName !== NAMES.postgres) {
            new k8s.core.v1.Service(`${name}-headless-service`, {
                metadata: meta(pg.serviceName),
                spec: {
                    clusterIP: "None",
                    selector: { ...pg.selectorLabels },
                    ports: [{ name: "postgres", port: 5432, targetPort: "postgres", protocol: "TCP" }],
                },
            }, { parent: this });
        }

        // Optional: a priority above the cluster's default, so the scheduler preempts others for the database.
        const priorityClass = pg.priority === undefined ? undefined : new k8s.scheduling.v1.PriorityClass(`${name}-priority`, {
            metadata: { name: `${NAMES.postgres}-${stack}`, labels: { ...labels } },
            value: pg.priority,
            globalDefault: false,
            preemptionPolicy: "PreemptLowerPriority",
            description: `ternent-postgres database of stack ${stack}`,
        }, { parent: this });

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
                // The API server's defaults, sent explicitly: the provider replaces a StatefulSet when
                // either differs from the live object, which an adopted StatefulSet cannot be.
                podManagementPolicy: "OrderedReady",
                revisionHistoryLimit: 10,
                updateStrategy: { type: "RollingUpdate" },
                template: {
                    metadata: {
                        labels: podLabels,
                        annotations: { [ANNOTATIONS.configHash]: crypto.createHash("sha256").update(conf).update(hba).digest("hex") },
                    },
                    spec: hardenedPod({
                        terminationGracePeriodSeconds: 120,
                        priorityClassName: priorityClass?.metadata.name,
                        // Requests = limits in every container, init containers included: Guaranteed QoS.
                        initContainers: [walgInitContainer(walg, GUARANTEED_INIT), walgSecretInitContainer(image)],
                        containers: [{
                            name: "postgres",
                            image,
                            imagePullPolicy: "IfNotPresent",
                            command: ["docker-entrypoint.sh"],
                            args: ["postgres", "-c", `config_file=${PATHS.confFile}`],
                            ports: [{ name: "postgres", containerPort: 5432, protocol: "TCP" }],
                            // No WAL-G Secret here: archive_command and restore_command read the keys from
                            // the file the init container walg-secret wrote (never the postmaster's env).
                            env: [...baseEnv(), ...literalEnv({ PGDATA: PATHS.pgdata, TERNENT_WALG_ENV_FILE: PATHS.walgEnvFile })],
                            envFrom: [{ secretRef: { name: NAMES.postgres } }, { configMapRef: { name: NAMES.walgConfigMap } }],
                            volumeMounts: [
                                { name: dataVolumeName, mountPath: PATHS.dataMount },
                                { name: VOLUMES.conf, mountPath: PATHS.conf, readOnly: true },
                                { name: VOLUMES.scripts, mountPath: PATHS.scripts, readOnly: true },
                                { name: VOLUMES.bin, mountPath: PATHS.bin, readOnly: true },
                                { name: VOLUMES.run, mountPath: PATHS.socketDir },
                                { name: VOLUMES.tmp, mountPath: PATHS.tmp },
                                { name: VOLUMES.secrets, mountPath: PATHS.secretsDir, readOnly: true },
                                { name: VOLUMES.shm, mountPath: PATHS.shm },
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
                            { name: VOLUMES.walgSecret, secret: { secretName: NAMES.backupSecret, defaultMode: 0o400 } },
                            memoryVolume(VOLUMES.secrets, "1Mi"),
                            // dynamic_shared_memory_type = posix: parallel queries need more than the runtime's 64 MiB.
                            memoryVolume(VOLUMES.shm, pg.shmSize),
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
                                matchExpressions: [{ key: LABELS.component, operator: "In", values: ["backup", "canary", "verify", "migrate", "app-role"] }],
                            },
                        },
                    ],
                    ports: [{ protocol: "TCP", port: 5432 }],
                }],
            },
        }, { parent: this, ...adopt(NAMES.postgres) });

        // The API's role, created or updated by the superuser once the database runs (idempotent, also on
        // an adopted database; `pulumi up --replace` on this Job after rotating the password).
        const appRoleLabels = labelsFor(stack, "app-role");
        new k8s.batch.v1.Job(`${name}-app-role`, {
            metadata: { name: NAMES.appRoleJob, namespace: ns, labels: { ...appRoleLabels } },
            spec: {
                backoffLimit: 3,
                activeDeadlineSeconds: 1800,
                template: {
                    metadata: { labels: { ...appRoleLabels } },
                    spec: scriptPod({
                        image,
                        script: SCRIPTS.appRole,
                        containerName: "app-role",
                        scriptsConfigMap: NAMES.scriptsConfigMap,
                        env: { TERNENT_APP_USER: pg.appUser, TERNENT_APP_DATABASE: pg.database },
                        envRefs: [
                            ...pgConnectionEnv(this.serviceHost, NAMES.postgres),
                            { name: "TERNENT_APP_PASSWORD", valueFrom: { secretKeyRef: { name: NAMES.appSecret, key: "POSTGRES_PASSWORD" } } },
                        ],
                        resources: SMALL_RESOURCES,
                        tmpSize: "16Mi",
                    }),
                },
            },
        }, { parent: this, dependsOn: [...this.configObjects, this.statefulSet] });

        this.ready = [...this.configObjects, this.statefulSet];

        this.registerOutputs({
            namespace: this.namespace,
            serviceHost: this.serviceHost,
            dataClaimName: this.dataClaimName,
        });
    }
}
