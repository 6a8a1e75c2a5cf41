// The ha profile's database (docs/ha.md): the Zalando postgres-operator's postgresql resource, archiving
// with WAL-G into the current generation's prefix through the same Secret the single node uses, the
// operator's credentials Secret carrying the existing password, and a NetworkPolicy for the cluster's
// pods. With a migration block also the move of the single node into it: API down, the cut-over Job on
// the single node, the operator's clone from the single node's prefix to T, the verify Job on the
// cluster, API up. The operator itself is installed by the user (README, "The ha profile").

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import OPERATOR from "../lib/postgres-operator.json";
import { generationNames, LABELS, NAMES, SCRIPTS } from "../lib/contract";
import type { HaConfig, MigrationConfig, PostgresConfig } from "../config";
import { apiReplicasPatch } from "./api-replicas";
import { StackContext } from "./context";
import { labelsFor } from "./labels";
import { DatabaseRefs, pgConnectionEnv, scriptPod, SMALL_RESOURCES } from "./pod";
import { WalgAccess, walgSecretAnnotations, walgSecretData } from "./walg";

type EnvVar = k8s.types.input.core.v1.EnvVar;

/** Spilo deletes base backups older than this many days beyond this many (postgres_backup.sh): far above any GFS horizon, so retention.sh alone decides. */
export const SPILO_BACKUPS_TO_RETAIN = 10000;

/** Spilo's archive_command (configure_spilo.py): what verify.sh expects in the ha profile (a Perl regex). */
export const SPILO_ARCHIVE_COMMAND = 'wal-g wal-push "%p"$';

/** The labels the operator (default cluster_labels, cluster_name_label, pod_role_label) puts on the cluster's pods. */
export function clusterPodLabels(clusterName: string): Record<string, string> {
    return { application: "spilo", "cluster-name": clusterName };
}

/** The leader's pods: what Service ternent-postgres selects in the ha profile (the API keeps its host). */
export function leaderSelector(clusterName: string): Record<string, string> {
    return { ...clusterPodLabels(clusterName), "spilo-role": "master" };
}

/** The Secret name the operator reads a manifest user's password from (default secret_name_template). */
export function operatorSecretName(user: string, clusterName: string): string {
    return `${user}.${clusterName}.credentials.${OPERATOR.kind}.${OPERATOR.apiVersion.split("/")[0]}`;
}

/**
 * What the single node's StatefulSet does in the ha profile: it keeps running (read-only after the
 * cut-over) while this deployment migrates, and is scaled to 0 once a deployment completed the migration
 * (or when the cluster started empty); Service ternent-postgres selects the cluster's leader.
 */
export function singleNodeInHa(ha: HaConfig, migration: MigrationConfig | undefined): { replicas: 0 | 1; serviceSelector: Record<string, string> } {
    return { replicas: migration && !migration.completed ? 1 : 0, serviceSelector: leaderSelector(ha.clusterName) };
}

export interface HaClusterArgs {
    /** Values every component needs (namespace, stack, protect, WAL-G tuning, the image of the Jobs). */
    readonly context: StackContext;
    /** The ha settings (instances, replication, operator namespace, names, Spilo image). */
    readonly ha: HaConfig;
    /** Database settings shared with the single profile (volume, resources, archive_timeout, user, database). */
    readonly postgres: PostgresConfig;
    /** The single node's objects: its Secrets (credentials, WAL-G), scripts ConfigMap and password. */
    readonly database: DatabaseRefs & { readonly password: pulumi.Output<string>; readonly configObjects: readonly pulumi.Resource[] };
    /** The current generation's prefix with the read-write key (the cluster archives there). */
    readonly storage: WalgAccess;
    /** Base backup schedule (schedules.backup): Spilo's BACKUP_SCHEDULE. */
    readonly backupSchedule?: string;
    /** Pods allowed to reach 5432 (besides this project's jobs). */
    readonly apiPodSelector: Readonly<Record<string, string>>;
    /** The single node's move into the cluster. */
    readonly migration?: MigrationConfig;
    /** The migration's source generation's prefix with the read-only key (the clone reads it). */
    readonly cloneSource?: WalgAccess;
}

/** Stack output describing a migration. */
export interface MigrationSummary {
    readonly generation: number;
    readonly at: string;
    readonly sourceGeneration: number;
    readonly clonedFrom: string;
    readonly archivingTo: string;
    readonly cluster: string;
    readonly cutoverJob: string;
    readonly verifyJob: string;
    readonly apiScaledTo?: number;
}

export class HaCluster extends pulumi.ComponentResource {
    /** The postgresql resource's name (its leader Service has that name too). */
    readonly clusterName: string;
    /** What a migration did (undefined without one). */
    readonly summary?: pulumi.Output<MigrationSummary>;
    readonly cluster: k8s.apiextensions.CustomResource;

    constructor(name: string, args: HaClusterArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ternent-postgres:index:HaCluster", name, {}, opts);
        const { stack, walg, protect, image } = args.context;
        const { ha, postgres: pg, database: db, migration: mig } = args;
        const ns = db.namespace;
        const labels = labelsFor(stack, "database");
        this.clusterName = ha.clusterName;

        // The operator keeps the password of a user whose Secret exists: the single node's.
        const credentials = new k8s.core.v1.Secret(`${name}-credentials`, {
            metadata: { name: operatorSecretName(pg.user, ha.clusterName), namespace: ns, labels: { ...labels } },
            type: "Opaque",
            stringData: { username: pg.user, password: db.password },
        }, { parent: this, protect });

        // --- the migration's first half: API down, the single node cut over -------------------------------
        const before: pulumi.Resource[] = [];
        let cloneEnv: EnvVar[] = [];
        let clone: Record<string, pulumi.Input<string | boolean>> | undefined;
        let cutover: k8s.batch.v1.Job | undefined;
        const migrateLabels = labelsFor(stack, "migrate", mig ? { [LABELS.dataGeneration]: String(mig.generation) } : {});
        // One Job of the migration (cut-over or verify): runs `script` once against `host`, within `hours`.
        const migrateJob = (role: string, m: MigrationConfig, job: { name: string; script: string; container: string; host: string; hours: number },
            opts: pulumi.CustomResourceOptions): k8s.batch.v1.Job => {
            const activeDeadlineSeconds = job.hours * 3600;
            return new k8s.batch.v1.Job(`${name}-${role}`, {
                metadata: { name: job.name, namespace: ns, labels: { ...migrateLabels } },
                spec: {
                    backoffLimit: 0,
                    activeDeadlineSeconds,
                    template: {
                        metadata: { labels: { ...migrateLabels } },
                        spec: scriptPod({
                            image,
                            script: job.script,
                            containerName: job.container,
                            scriptsConfigMap: db.scriptsConfigMapName,
                            env: {
                                TERNENT_MIGRATION_AT: m.at,
                                TERNENT_MIGRATION_GENERATION: String(m.generation),
                                TERNENT_MIGRATION_TIMEOUT_SECONDS: String(activeDeadlineSeconds - 600),
                            },
                            envRefs: pgConnectionEnv(job.host, db.credentialsSecretName),
                            resources: SMALL_RESOURCES,
                            tmpSize: "16Mi",
                        }),
                    },
                },
            }, { parent: this, ...opts, customTimeouts: { create: `${job.hours * 60 + 10}m` } });
        };
        if (mig && args.cloneSource) {
            const src = args.cloneSource;
            const apiDown = mig.scaleApi ? apiReplicasPatch(`${name}-api-down-g${mig.generation}`, ns, 0, { parent: this }) : undefined;
            const single = new k8s.core.v1.Service(`${name}-single-service`, {
                metadata: { name: NAMES.singleService, namespace: ns, labels: { ...labels } },
                spec: { type: "ClusterIP", selector: { ...pg.selectorLabels }, ports: [{ name: "postgres", port: 5432, targetPort: 5432, protocol: "TCP" }] },
            }, { parent: this });
            const cloneSecret = new k8s.core.v1.Secret(`${name}-clone-secret`, {
                metadata: {
                    name: generationNames.cloneSecret(mig.generation), namespace: ns, labels: { ...migrateLabels },
                    annotations: walgSecretAnnotations(src),
                },
                type: "Opaque",
                stringData: walgSecretData(src),
            // The cluster's pods read it for as long as the resource has its clone section (the migration block stays).
            }, { parent: this, protect });
            cutover = migrateJob("cutover", mig, {
                name: generationNames.migrateJob(mig.generation), script: SCRIPTS.migrateCutover, container: "migrate",
                host: `${NAMES.singleService}.${ns}.svc`, hours: 7,
            }, { dependsOn: [single, ...(apiDown ? [apiDown] : [])] });
            before.push(cutover, cloneSecret);
            // The clone reads the single node's prefix with the read-only key (Spilo's CLONE_ envdir); the
            // operator adds CLONE_WALE_S3_PREFIX, CLONE_TARGET_TIME and CLONE_AWS_ENDPOINT from spec.clone.
            const fromClone = (key: string): EnvVar => ({ name: `CLONE_${key}`, valueFrom: { secretKeyRef: { name: cloneSecret.metadata.name, key } } });
            cloneEnv = [
                { name: "CLONE_USE_WALG_RESTORE", value: "true" },
                ...["AWS_REGION", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "WALG_LIBSODIUM_KEY", "WALG_LIBSODIUM_KEY_TRANSFORM"].map(fromClone),
                { name: "CLONE_WALG_DOWNLOAD_CONCURRENCY", value: String(walg.downloadConcurrency) },
            ];
            // Spilo derives the path-style convention from an endpoint without "+virtualhost" (Spaces serves both).
            clone = { cluster: NAMES.postgres, timestamp: mig.cloneTimestamp, s3_wal_path: src.walgPrefix, s3_endpoint: src.endpoint, s3_force_path_style: true };
        }

        // --- the cluster ----------------------------------------------------------------------------------
        const fromBackup = (envName: string, key = envName): EnvVar => ({ name: envName, valueFrom: { secretKeyRef: { name: db.backupSecretName, key } } });
        const env: EnvVar[] = [
            // WAL-G for archiving, backups and restores (Spilo's default is WAL-E for backups).
            { name: "USE_WALG_BACKUP", value: "true" },
            { name: "USE_WALG_RESTORE", value: "true" },
            // Spilo takes WALE_S3_PREFIX as given (it would otherwise build spilo/<cluster>/<uid>/wal/<major>).
            fromBackup("WALE_S3_PREFIX", "WALG_S3_PREFIX"),
            fromBackup("WALG_S3_PREFIX"),
            fromBackup("AWS_ENDPOINT"),
            // Virtual-host addressing, as the single node uses (walg ConfigMap AWS_S3_FORCE_PATH_STYLE=false).
            { name: "WALE_S3_ENDPOINT", value: args.storage.endpoint.replace("://", "+virtualhost://") },
            fromBackup("AWS_REGION"),
            fromBackup("AWS_ACCESS_KEY_ID"),
            fromBackup("AWS_SECRET_ACCESS_KEY"),
            fromBackup("WALG_LIBSODIUM_KEY"),
            fromBackup("WALG_LIBSODIUM_KEY_TRANSFORM"),
            { name: "WALG_COMPRESSION_METHOD", value: walg.compression },
            { name: "WALG_UPLOAD_CONCURRENCY", value: String(walg.uploadConcurrency) },
            { name: "WALG_DOWNLOAD_CONCURRENCY", value: String(walg.downloadConcurrency) },
            ...(args.backupSchedule ? [{ name: "BACKUP_SCHEDULE", value: args.backupSchedule }] : []),
            { name: "BACKUP_NUM_TO_RETAIN", value: String(SPILO_BACKUPS_TO_RETAIN) },
            // Spilo's pg_hba refuses non-TLS connections from other hosts by default; the API connects as today.
            { name: "ALLOW_NOSSL", value: "true" },
            ...cloneEnv,
        ];
        this.cluster = new k8s.apiextensions.CustomResource(`${name}-cluster`, {
            apiVersion: OPERATOR.apiVersion,
            kind: OPERATOR.kind,
            metadata: { name: ha.clusterName, namespace: ns, labels: { ...labels } },
            spec: {
                teamId: ha.teamId,
                dockerImage: ha.image,
                numberOfInstances: ha.instances,
                postgresql: {
                    version: "15",
                    // Spilo's default archive_timeout is 1800 s: the RPO bound is the stack's.
                    parameters: { archive_timeout: String(pg.archiveTimeoutSeconds), timezone: "UTC", log_timezone: "UTC" },
                },
                volume: { size: pg.storageSize, storageClass: pg.storageClass },
                resources: {
                    requests: { cpu: pg.resources.requests.cpu, memory: pg.resources.requests.memory },
                    limits: { cpu: pg.resources.limits.cpu, memory: pg.resources.limits.memory },
                },
                ...(ha.replication === "sync" ? { patroni: { synchronous_mode: true } } : {}),
                // The superuser the single node runs as (canary, verify, retention's SQL, the roles job):
                // a clone brings it along; a new cluster gets it from the operator with the Secret's password.
                users: { [pg.user]: ["superuser", "createdb"] },
                databases: { [pg.database]: pg.user },
                spiloRunAsUser: 101,
                spiloRunAsGroup: 103,
                spiloFSGroup: 103,
                env,
                ...(clone ? { clone } : {}),
            },
        }, {
            parent: this,
            protect,
            // Deleting the resource makes the operator delete the cluster and (by default) its volumes.
            retainOnDelete: true,
            dependsOn: [...db.configObjects, credentials, ...before],
        });

        new k8s.networking.v1.NetworkPolicy(`${name}-network-policy`, {
            metadata: { name: NAMES.haNetworkPolicy, namespace: ns, labels: { ...labels } },
            spec: {
                podSelector: { matchLabels: clusterPodLabels(ha.clusterName) },
                policyTypes: ["Ingress"],
                ingress: [
                    {
                        from: [
                            { podSelector: { matchLabels: { ...args.apiPodSelector } } },
                            {
                                podSelector: {
                                    matchLabels: { [LABELS.partOf]: "ternent-postgres", [LABELS.instance]: stack },
                                    matchExpressions: [{ key: LABELS.component, operator: "In", values: ["canary", "verify", "app-role", "migrate"] }],
                                },
                            },
                        ],
                        ports: [{ protocol: "TCP", port: 5432 }],
                    },
                    {
                        // Replication and Patroni's REST API between the cluster's pods; the operator syncs
                        // users over 5432 and asks Patroni over 8008.
                        from: [
                            { podSelector: { matchLabels: clusterPodLabels(ha.clusterName) } },
                            { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ha.operatorNamespace } } },
                        ],
                        ports: [{ protocol: "TCP", port: 5432 }, { protocol: "TCP", port: 8008 }],
                    },
                ],
            },
        }, { parent: this });

        // --- the migration's second half: prove every commit is there, then the API back up ----------------
        if (mig && cutover) {
            const verify = migrateJob("verify", mig, {
                name: generationNames.migrateVerifyJob(mig.generation), script: SCRIPTS.migrateVerify, container: "migrate-verify",
                host: `${ha.clusterName}.${ns}.svc`, hours: 6,
            }, { dependsOn: [this.cluster] });
            if (mig.scaleApi) apiReplicasPatch(`${name}-api-up-g${mig.generation}`, ns, mig.apiReplicas, { parent: this, dependsOn: [verify] });
            this.summary = pulumi.all([args.cloneSource!.walgPrefix, args.storage.walgPrefix]).apply(([from, to]) => ({
                generation: mig.generation,
                at: mig.at,
                sourceGeneration: mig.sourceGeneration,
                clonedFrom: from,
                archivingTo: to,
                cluster: ha.clusterName,
                cutoverJob: generationNames.migrateJob(mig.generation),
                verifyJob: generationNames.migrateVerifyJob(mig.generation),
                ...(mig.scaleApi ? { apiScaledTo: mig.apiReplicas } : {}),
            }));
        }

        this.registerOutputs({ clusterName: this.clusterName, summary: this.summary });
    }
}
