// The second half of a recovery, after the StatefulSet runs on the restored generation: Job
// ternent-postgres-backup-g<N> takes the first base backup of the new generation (so it is
// self-contained for drills and the next restore), then the API is scaled back up (optional).
// Prints what was restored and the next manual step.

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { generationNames, LABELS, MIGRATE_COMMAND, NAMES } from "../lib/contract";
import { RecoveryConfig, WalgConfig } from "./config";
import { labelsFor } from "./labels";
import { backupPod, DatabaseRefs } from "./pod";

export interface RecoveryHandoverArgs {
    /** Stack name (app.kubernetes.io/instance). */
    readonly stack: string;
    /** The recovery block (absent: nothing to hand over). */
    readonly recovery?: RecoveryConfig;
    /** Image of the backup container (the postgres image). */
    readonly image: string;
    /** WAL-G pin for the init container. */
    readonly walg: WalgConfig;
    /** The database, now on the restored generation. */
    readonly database: DatabaseRefs;
    /** WALG_S3_PREFIX restored from (generation N−1). */
    readonly sourcePrefix?: pulumi.Output<string>;
    /** WALG_S3_PREFIX the database archives to now (generation N). */
    readonly targetPrefix: pulumi.Output<string>;
}

/** Stack output describing a recovery. */
export interface RecoverySummary {
    readonly generation: number;
    readonly target: string;
    readonly targetKind: string;
    readonly restoredFrom: string;
    readonly archivingTo: string;
    readonly dataClaim: string;
    readonly restoreJob: string;
    readonly firstBackupJob: string;
    readonly apiScaledTo?: number;
    readonly nextStep: string;
}

export class RecoveryHandover extends pulumi.ComponentResource {
    /** What was restored and what to do next (undefined without a recovery block). */
    readonly summary?: pulumi.Output<RecoverySummary>;

    constructor(name: string, args: RecoveryHandoverArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ternent-postgres:index:RecoveryHandover", name, {}, opts);
        const rec = args.recovery;
        if (rec) {
            const db = args.database;
            const n = rec.generation;
            const jobName = generationNames.firstBackupJob(n);
            const labels = labelsFor(args.stack, "backup", { [LABELS.dataGeneration]: String(n) });
            new k8s.batch.v1.Job(`${name}-first-backup`, {
                metadata: { name: jobName, namespace: db.namespace, labels: { ...labels } },
                spec: {
                    backoffLimit: 2,
                    activeDeadlineSeconds: 6 * 3600,
                    template: { metadata: { labels: { ...labels } }, spec: backupPod(args.image, args.walg, db) },
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
                new k8s.apps.v1.DeploymentPatch(`${name}-api-up`, {
                    metadata: { name: NAMES.apiDeployment, namespace: db.namespace, annotations: { "pulumi.com/patchForce": "true" } },
                    spec: { replicas: rec.apiReplicas },
                }, { parent: this, dependsOn: [...db.ready], retainOnDelete: true });
            }
            this.summary = pulumi.all([args.sourcePrefix ?? pulumi.output(""), args.targetPrefix, db.dataClaimName])
                .apply(([from, to, claim]) => ({
                    generation: n,
                    target: rec.target,
                    targetKind: rec.targetKind,
                    restoredFrom: from,
                    archivingTo: to,
                    dataClaim: claim,
                    restoreJob: generationNames.restoreJob(n),
                    firstBackupJob: jobName,
                    ...(rec.scaleApi ? { apiScaledTo: rec.apiReplicas } : {}),
                    nextStep: MIGRATE_COMMAND,
                }));
        }
        this.registerOutputs({ summary: this.summary });
    }
}
