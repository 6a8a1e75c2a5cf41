// The second half of a recovery, after the StatefulSet runs on the restored generation: Job
// ternent-postgres-backup-g<N> takes the first base backup of the new generation (so it is
// self-contained for drills and the next restore), then the API is scaled back up (optional).
// Prints what was restored and the next manual step. After a rollback only the API comes back up.

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { generationNames, LABELS, MIGRATE_COMMAND } from "../lib/contract";
import type { RecoveryConfig, RollbackConfig } from "../config";
import { apiReplicasPatch } from "./api-replicas";
import { StackContext } from "./context";
import { labelsFor } from "./labels";
import { backupPod, DatabaseRefs } from "./pod";

export interface RecoveryHandoverArgs {
    /** Values every component needs (the first backup runs the context's image and WAL-G). */
    readonly context: StackContext;
    /** The recovery block (absent: nothing to hand over). */
    readonly recovery?: RecoveryConfig;
    /** The rollback block (absent: nothing to hand over). */
    readonly rollback?: RollbackConfig;
    /** The database, now on the restored generation. */
    readonly database: DatabaseRefs;
    /** WALG_S3_PREFIX restored from (the source generation). */
    readonly sourcePrefix?: pulumi.Output<string>;
    /** WALG_S3_PREFIX the database archives to now (generation dataGeneration). */
    readonly targetPrefix: pulumi.Output<string>;
}

/** Stack output describing a recovery. */
export interface RecoverySummary {
    readonly generation: number;
    readonly target: string;
    readonly targetKind: string;
    readonly restoredFrom: string;
    readonly restoredFromGeneration: number;
    readonly archivingTo: string;
    readonly dataClaim: string;
    readonly restoreJob: string;
    readonly firstBackupJob: string;
    readonly apiScaledTo?: number;
    readonly nextStep: string;
}

/** Stack output describing a rollback. */
export interface RollbackSummary {
    readonly fromGeneration: number;
    readonly toGeneration: number;
    readonly dataClaim: string;
    readonly archivingTo: string;
    /** PVC of the generation left: kept (protected, retained) for a later roll-forward. */
    readonly keptDataClaim: string;
    readonly apiScaledTo?: number;
}

export class RecoveryHandover extends pulumi.ComponentResource {
    /** What was restored and what to do next (undefined without a recovery block). */
    readonly summary?: pulumi.Output<RecoverySummary>;
    /** What a rollback switched (undefined without a rollback block). */
    readonly rollbackSummary?: pulumi.Output<RollbackSummary>;

    constructor(name: string, args: RecoveryHandoverArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ternent-postgres:index:RecoveryHandover", name, {}, opts);
        const rec = args.recovery;
        if (rec) {
            const db = args.database;
            const n = rec.generation;
            const jobName = generationNames.firstBackupJob(n);
            const labels = labelsFor(args.context.stack, "backup", { [LABELS.dataGeneration]: String(n) });
            new k8s.batch.v1.Job(`${name}-first-backup`, {
                metadata: { name: jobName, namespace: db.namespace, labels: { ...labels } },
                spec: {
                    backoffLimit: 2,
                    activeDeadlineSeconds: 6 * 3600,
                    template: { metadata: { labels: { ...labels } }, spec: backupPod(args.context.image, args.context.walg, db) },
                },
            }, {
                parent: this,
                dependsOn: [...db.ready],
                ignoreChanges: ["spec"],
                customTimeouts: { create: "6h10m" },
            });
            if (rec.scaleApi) {
                // After the database is up on the restored data: the API comes back (it does not
                // wait for the first backup, which only protects the new generation).
                apiReplicasPatch(`${name}-api-up`, db.namespace, rec.apiReplicas, { parent: this, dependsOn: [...db.ready] });
            }
            this.summary = pulumi.all([args.sourcePrefix ?? pulumi.output(""), args.targetPrefix, db.dataClaimName])
                .apply(([from, to, claim]) => ({
                    generation: n,
                    target: rec.target,
                    targetKind: rec.targetKind,
                    restoredFrom: from,
                    restoredFromGeneration: rec.sourceGeneration,
                    archivingTo: to,
                    dataClaim: claim,
                    restoreJob: generationNames.restoreJob(n),
                    firstBackupJob: jobName,
                    ...(rec.scaleApi ? { apiScaledTo: rec.apiReplicas } : {}),
                    nextStep: MIGRATE_COMMAND,
                }));
        }
        const rb = args.rollback;
        if (rb) {
            const db = args.database;
            if (rb.scaleApi) {
                apiReplicasPatch(`${name}-rollback-g${rb.fromGeneration}-api-up`, db.namespace, rb.apiReplicas, { parent: this, dependsOn: [...db.ready] });
            }
            this.rollbackSummary = pulumi.all([args.targetPrefix, db.dataClaimName]).apply(([to, claim]) => ({
                fromGeneration: rb.fromGeneration,
                toGeneration: rb.toGeneration,
                dataClaim: claim,
                archivingTo: to,
                keptDataClaim: generationNames.dataClaim(rb.fromGeneration),
                ...(rb.scaleApi ? { apiScaledTo: rb.apiReplicas } : {}),
            }));
        }
        this.registerOutputs({ summary: this.summary, rollbackSummary: this.rollbackSummary });
    }
}
