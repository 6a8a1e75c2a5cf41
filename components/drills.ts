// Restore and PITR drills in the DR namespace: each restores the current generation into a scratch
// emptyDir with the DR key, starts PostgreSQL on it and checks it (scripts/restore-drill.sh,
// scripts/pitr-drill.sh). A drill exists iff its schedule is set.

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { NAMES, PATHS, SCRIPTS } from "../lib/contract";
import type { WalgConfig } from "../config";
import { labelsFor } from "./labels";
import { adoptOptions } from "./postgres";
import { cronJobSpec, emptyDirVolume, RESTORE_RESOURCES, scriptPod, VOLUMES, walgEnvFrom } from "./pod";

export interface DrillsArgs {
    /** Stack name (app.kubernetes.io/instance). */
    readonly stack: string;
    /** The DR namespace (output of the Namespace). */
    readonly namespace: pulumi.Output<string>;
    /** Its name as configured (import ids). */
    readonly namespaceName: string;
    /** Image of the drill containers (the postgres image: the same major version as the primary). */
    readonly image: string;
    /** WAL-G pin for the init containers. */
    readonly walg: WalgConfig;
    /** 5-field cron of the restore drill; no drill when absent. */
    readonly restoreDrillSchedule?: string;
    /** 5-field cron of the PITR drill; no drill when absent. */
    readonly pitrDrillSchedule?: string;
    /** Role of the smoke checks on the restored server (the primary's postgres.user). */
    readonly pgUser: string;
    /** Database of the smoke checks on the restored server (the primary's postgres.database). */
    readonly pgDatabase: string;
    /** Worst-case seconds between canary rows (absent when the canary is off). */
    readonly canaryIntervalSeconds?: number;
    /** postgres.archiveTimeoutSeconds. */
    readonly archiveTimeoutSeconds: number;
    /** Extra SQL both drills must run successfully on the restored database (empty: none). */
    readonly smokeSql: string;
    /** The PITR drill's target: `random` or an RFC 3339 time. */
    readonly pitrTarget: string;
    /** Size limit of the scratch directory (the restored data directory must fit). */
    readonly workSize: string;
    /** DR Secret with the WAL-G env (DR key). */
    readonly secretName: string;
    /** DR scripts ConfigMap. */
    readonly scriptsConfigMapName: string;
    /** DR WAL-G tuning ConfigMap. */
    readonly walgConfigMapName: string;
    /** Resources the drills are created after (DR objects, the StatefulSet). */
    readonly after: readonly pulumi.Resource[];
    /** Import the bundle's drill CronJobs instead of creating them. */
    readonly adopt: boolean;
}

export class Drills extends pulumi.ComponentResource {
    readonly restoreDrill?: k8s.batch.v1.CronJob;
    readonly pitrDrill?: k8s.batch.v1.CronJob;

    constructor(name: string, args: DrillsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ternent-postgres:index:Drills", name, {}, opts);
        const drill = (role: "restore-drill" | "pitr-drill", objectName: string, schedule: string, script: string,
            env: Record<string, string>): k8s.batch.v1.CronJob => {
            const labels = labelsFor(args.stack, role);
            return new k8s.batch.v1.CronJob(`${name}-${role}`, {
                metadata: { name: objectName, namespace: args.namespace, labels: { ...labels } },
                spec: cronJobSpec(
                    // A failed drill is a finding to look at, not something to retry.
                    { schedule, startingDeadlineSeconds: 3600, activeDeadlineSeconds: 4 * 3600, backoffLimit: 0 },
                    labels,
                    scriptPod({
                        image: args.image,
                        script,
                        containerName: role,
                        scriptsConfigMap: args.scriptsConfigMapName,
                        walg: args.walg,
                        env: {
                            TERNENT_WORKDIR: PATHS.work,
                            // The restored cluster only knows the primary's roles.
                            PGUSER: args.pgUser,
                            PGDATABASE: args.pgDatabase,
                            TERNENT_ARCHIVE_TIMEOUT_SECONDS: String(args.archiveTimeoutSeconds),
                            ...(args.canaryIntervalSeconds !== undefined
                                ? { TERNENT_CANARY_INTERVAL_SECONDS: String(args.canaryIntervalSeconds) } : {}),
                            ...(args.smokeSql !== "" ? { TERNENT_SMOKE_SQL: args.smokeSql } : {}),
                            // WAL-G's retry policy (walg.retries) comes with the DR walg ConfigMap, as for
                            // every other WAL-G consumer.
                            ...env,
                        },
                        envFrom: walgEnvFrom(args.secretName, args.walgConfigMapName),
                        volumes: [emptyDirVolume(VOLUMES.work, args.workSize)],
                        volumeMounts: [{ name: VOLUMES.work, mountPath: PATHS.work }],
                        resources: RESTORE_RESOURCES,
                    }),
                ),
            }, {
                parent: this,
                dependsOn: [...args.after],
                ...adoptOptions(args.adopt, `${args.namespaceName}/${objectName}`),
            });
        };
        if (args.restoreDrillSchedule) {
            this.restoreDrill = drill("restore-drill", NAMES.restoreDrillCronJob, args.restoreDrillSchedule, SCRIPTS.restoreDrill, {});
        }
        if (args.pitrDrillSchedule) {
            // pitr-drill.sh picks T inside the window the backups actually cover.
            this.pitrDrill = drill("pitr-drill", NAMES.pitrDrillCronJob, args.pitrDrillSchedule, SCRIPTS.pitrDrill, {
                TERNENT_PITR_TARGET: args.pitrTarget,
            });
        }
        this.registerOutputs({});
    }
}
