// Data generations and the restore (docs/architecture.md, "Data generations and recovery").
// The PVCs of generations 1..dataGenerationMax (the highest the stack ever ran) are declared, protected
// and retained on delete: data is never deleted and stays available for rollback. A recovery block
// adds, before the database: the API scaled to 0 (optional), and Job ternent-postgres-restore-g<N>
// running scripts/restore.sh (the restore core the drills use) with the DR key from the source
// generation's prefix into the new PVC. The StatefulSet waits for that Job (Pulumi waits for a Job to
// succeed). A rollback block only scales the API to 0 before the StatefulSet goes back to an older
// generation's PVC.

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { generationNames, LABELS, PATHS, SCRIPTS } from "../lib/contract";
import type { PostgresConfig, RecoveryConfig, RollbackConfig } from "../config";
import { apiReplicasPatch } from "./api-replicas";
import { StackContext } from "./context";
import { labelsFor } from "./labels";
import { dataVolume, emptyDirVolume, RESTORE_RESOURCES, scriptPod, VOLUMES } from "./pod";
import { WalgAccess, walgSecretAnnotations, walgSecretData, walgTuning } from "./walg";

/** The restore Job's deadline: generous, a large database replays for hours. */
export const RESTORE_JOB_DEADLINE_SECONDS = 6 * 3600;

export interface RecoveryArgs {
    /** Values every component needs (the PVCs and the restore Job go into the primary namespace). */
    readonly context: StackContext;
    /** Storage class and size of the data volumes; role and database of restore.sh's check. */
    readonly postgres: PostgresConfig;
    /** Generation the database runs on. */
    readonly dataGeneration: number;
    /** Highest generation the stack ever ran: PVCs 1..max stay declared (≥ dataGeneration). */
    readonly dataGenerationMax: number;
    /** The recovery block (absent: only the generation PVCs). */
    readonly recovery?: RecoveryConfig;
    /** The rollback block (its API scale-down comes before the StatefulSet). */
    readonly rollback?: RollbackConfig;
    /** The source generation's prefix with the DR key (read-only by default); required with a recovery block. */
    readonly source?: WalgAccess;
}

export class Recovery extends pulumi.ComponentResource {
    /** PVC of the current generation (absent for generation 0). */
    readonly dataClaimName?: pulumi.Output<string>;
    /** Generation PVCs 1..dataGenerationMax. */
    readonly claims: readonly k8s.core.v1.PersistentVolumeClaim[];
    /** What the StatefulSet must wait for (the restore Job; the API scaled down for a rollback). */
    readonly gate: readonly pulumi.Resource[];
    /** The restore Job's name (absent without a recovery block). */
    readonly restoreJobName?: string;

    constructor(name: string, args: RecoveryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ternent-postgres:index:Recovery", name, {}, opts);
        const { stack, namespaces, image, walg, scripts } = args.context;
        const ns = namespaces.primary;
        const n = args.dataGeneration;
        const claims: k8s.core.v1.PersistentVolumeClaim[] = [];
        // After a rollback, newer generations than the current one stay declared too.
        for (let g = 1; g <= Math.max(n, args.dataGenerationMax); g++) {
            claims.push(new k8s.core.v1.PersistentVolumeClaim(`${name}-data-g${g}`, {
                metadata: {
                    name: generationNames.dataClaim(g),
                    namespace: ns,
                    labels: labelsFor(stack, "database", { [LABELS.dataGeneration]: String(g) }),
                },
                spec: {
                    accessModes: ["ReadWriteOnce"],
                    storageClassName: args.postgres.storageClass,
                    resources: { requests: { storage: args.postgres.storageSize } },
                },
            }, {
                parent: this,
                // Data is never deleted by the program: not on destroy, not when a generation ends.
                protect: true,
                retainOnDelete: true,
                // Other generations are frozen as they were; the current one may grow with the config.
                ignoreChanges: g !== n ? ["spec"] : [],
            }));
        }
        this.claims = claims;
        const current = n >= 1 ? claims[n - 1] : undefined;
        this.dataClaimName = current?.metadata.name;

        const gate: pulumi.Resource[] = [];
        const rec = args.recovery;
        if (rec && current) {
            if (!args.source) {
                throw new Error("Recovery: a recovery block needs the source generation's storage access");
            }
            const jobName = generationNames.restoreJob(n);
            this.restoreJobName = jobName;
            const labels = labelsFor(stack, "restore", { [LABELS.dataGeneration]: String(n) });
            const apiDown = rec.scaleApi ? apiReplicasPatch(`${name}-api-down`, ns, 0, { parent: this }) : undefined;
            const secret = new k8s.core.v1.Secret(`${name}-restore-secret`, {
                metadata: {
                    name: jobName, namespace: ns, labels: { ...labels },
                    annotations: walgSecretAnnotations(args.source),
                },
                type: "Opaque",
                stringData: walgSecretData(args.source),
            }, { parent: this });
            const scriptsMap = new k8s.core.v1.ConfigMap(`${name}-restore-scripts`, {
                metadata: { name: jobName, namespace: ns, labels: { ...labels } },
                data: { ...scripts },
            }, { parent: this });
            const data = dataVolume("data", current.metadata.name);
            const job = new k8s.batch.v1.Job(`${name}-restore`, {
                metadata: { name: jobName, namespace: ns, labels: { ...labels } },
                spec: {
                    // A half-written data directory must be looked at, not overwritten by a retry.
                    backoffLimit: 0,
                    activeDeadlineSeconds: RESTORE_JOB_DEADLINE_SECONDS,
                    template: {
                        metadata: { labels: { ...labels } },
                        spec: scriptPod({
                            image,
                            script: SCRIPTS.restore,
                            containerName: "restore",
                            scriptsConfigMap: jobName,
                            walg,
                            env: {
                                PGDATA: PATHS.pgdata,
                                TERNENT_WORKDIR: PATHS.work,
                                TERNENT_RESTORE_TARGET: rec.target,
                                // restore.sh marks the data directory with its generation; archive-command.sh and
                                // backup.sh compare it with the TERNENT_DATA_GENERATION of the prefix they write to.
                                TERNENT_RESTORE_GENERATION: String(n),
                                // Replay may use the Job's whole deadline (restore.sh's default is 1 h), less
                                // ten minutes for the fetch and a clean shutdown that the log shows.
                                TERNENT_RESTORE_TIMEOUT_SECONDS: String(RESTORE_JOB_DEADLINE_SECONDS - 600),
                                // Role/database of restore.sh's post-recovery check: the primary's.
                                PGUSER: args.postgres.user,
                                PGDATABASE: args.postgres.database,
                                ...walgTuning(walg),
                            },
                            envFrom: [{ secretRef: { name: secret.metadata.name } }],
                            volumes: [data.volume, emptyDirVolume(VOLUMES.work, "1Gi")],
                            volumeMounts: [data.mount, { name: VOLUMES.work, mountPath: PATHS.work }],
                            resources: RESTORE_RESOURCES,
                        }),
                    },
                },
            }, {
                parent: this,
                dependsOn: [current, secret, scriptsMap, ...(apiDown ? [apiDown] : [])],
                // A finished restore is never redone by an unrelated change (image, WAL-G pin): a
                // different target needs the next generation (checked at preview).
                ignoreChanges: ["spec"],
                customTimeouts: { create: "6h10m" },
            });
            gate.push(job);
        }
        const rb = args.rollback;
        if (rb?.scaleApi) {
            // Named after the generation left, so that a later rollback is a new patch that applies again.
            gate.push(apiReplicasPatch(`${name}-rollback-g${rb.fromGeneration}-api-down`, ns, 0, { parent: this }));
        }
        this.gate = gate;
        this.registerOutputs({ dataClaimName: this.dataClaimName });
    }
}
