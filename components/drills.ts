// Restore and PITR drills in the DR namespace: each restores the current generation into a scratch
// volume of its own (a generic ephemeral volume of storageSize x drills.scratchFactor) with the DR key,
// starts PostgreSQL on it and checks it (scripts/restore-drill.sh, scripts/pitr-drill.sh); with
// alerts.webhookUrl the verdict is posted (alert sidecar). A drill exists iff its schedule is set; the
// config checks that the two never overlap.

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { DRILL_STARTING_DEADLINE_SECONDS, NAMES, PATHS, SCRIPTS } from "../lib/contract";
import type { AlertsConfig, DrillsConfig, PostgresConfig, Schedules } from "../config";
import { parseQuantity } from "../policy/lib/quantity";
import { adoptOptions, StackContext } from "./context";
import type { DrRefs } from "./disaster-recovery";
import { labelsFor } from "./labels";
import { alertsSecret } from "./alerts";
import { cronJobSpec, DatabaseRefs, ephemeralVolume, RESTORE_RESOURCES, scriptPod, VOLUMES, walgEnvFrom, withAlerts } from "./pod";

/** Scratch size of a drill: storageSize × factor, rounded up to whole GiB (block storage is sized in GiB). */
export function scratchSize(storageSize: string, factor: number): string {
    const bytes = parseQuantity(storageSize) ?? 0;
    return `${Math.ceil((bytes * factor) / 2 ** 30)}Gi`;
}

export interface DrillsArgs {
    /** Values every component needs (the drills run the context's image and WAL-G in the DR namespace). */
    readonly context: StackContext;
    /** The DR namespace, its WAL-G Secret (DR key) and ConfigMaps. */
    readonly dr: DrRefs;
    /** The database: the drills are created after it. */
    readonly database: DatabaseRefs;
    /** The primary's role, database (the smoke checks), archive timeout, and storage size (the scratch directory's limit). */
    readonly postgres: PostgresConfig;
    /** restoreDrill and pitrDrill: a drill exists iff its schedule is set. */
    readonly schedules: Schedules;
    /** Extra smoke SQL, the PITR drill's target, the scratch volume and the longest run. */
    readonly drills: DrillsConfig;
    /** Where verdicts are posted (nothing without a webhook). */
    readonly alerts: AlertsConfig;
    /** Worst-case seconds between canary rows (absent when the canary is off). */
    readonly canaryIntervalSeconds?: number;
}

export class Drills extends pulumi.ComponentResource {
    readonly restoreDrill?: k8s.batch.v1.CronJob;
    readonly pitrDrill?: k8s.batch.v1.CronJob;

    constructor(name: string, args: DrillsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ternent-postgres:index:Drills", name, {}, opts);
        const { stack, namespaces, image, walg } = args.context;
        const { dr, postgres: pg } = args;
        const secret = args.alerts.webhookUrl && alertsSecret(`${name}-alerts-secret`, this, dr.namespace, stack, args.alerts.webhookUrl);
        const drill = (role: "restore-drill" | "pitr-drill", objectName: string, schedule: string, script: string,
            env: Record<string, string>): k8s.batch.v1.CronJob => {
            const labels = labelsFor(stack, role);
            const pod = scriptPod({
                image,
                script,
                containerName: role,
                scriptsConfigMap: dr.scriptsConfigMapName,
                walg,
                env: {
                    TERNENT_WORKDIR: PATHS.work,
                    // The restored cluster only knows the primary's roles.
                    PGUSER: pg.user,
                    PGDATABASE: pg.database,
                    TERNENT_ARCHIVE_TIMEOUT_SECONDS: String(pg.archiveTimeoutSeconds),
                    ...(args.canaryIntervalSeconds !== undefined
                        ? { TERNENT_CANARY_INTERVAL_SECONDS: String(args.canaryIntervalSeconds) } : {}),
                    ...(args.drills.smokeSql !== "" ? { TERNENT_SMOKE_SQL: args.drills.smokeSql } : {}),
                    // WAL-G's retry policy (walg.retries) comes with the DR walg ConfigMap, as for
                    // every other WAL-G consumer.
                    ...env,
                },
                envFrom: walgEnvFrom(dr.secretName, dr.walgConfigMapName),
                volumes: [ephemeralVolume(VOLUMES.work, scratchSize(pg.storageSize, args.drills.scratchFactor), args.drills.scratchStorageClass, labels)],
                volumeMounts: [{ name: VOLUMES.work, mountPath: PATHS.work }],
                resources: RESTORE_RESOURCES,
            });
            return new k8s.batch.v1.CronJob(`${name}-${role}`, {
                metadata: { name: objectName, namespace: dr.namespace, labels: { ...labels } },
                spec: cronJobSpec(
                    // A failed drill is a finding to look at, not something to retry. Its window (starting
                    // deadline + maxMinutes) is what the config checks the two drills never share.
                    {
                        schedule, startingDeadlineSeconds: DRILL_STARTING_DEADLINE_SECONDS,
                        activeDeadlineSeconds: args.drills.maxMinutes * 60, backoffLimit: 0,
                        // A finished drill's pod keeps its scratch volume (storageSize x scratchFactor,
                        // billed) until the Job is pruned: keep the last success and the last failure only.
                        historyLimit: 1,
                    },
                    labels,
                    secret ? withAlerts(pod, role, {
                        image: walg.installerImage, secretName: secret.metadata.name, onSuccess: args.alerts.onSuccess,
                        source: pulumi.interpolate`${stack} ${dr.namespace}`,
                    }) : pod,
                ),
            }, {
                parent: this,
                dependsOn: [...dr.objects, ...args.database.ready],
                ...adoptOptions(args.context.adopt, `${namespaces.dr}/${objectName}`),
            });
        };
        const { restoreDrill, pitrDrill } = args.schedules;
        if (restoreDrill) {
            this.restoreDrill = drill("restore-drill", NAMES.restoreDrillCronJob, restoreDrill, SCRIPTS.restoreDrill, {});
        }
        if (pitrDrill) {
            // pitr-drill.sh picks T inside the window the backups actually cover.
            this.pitrDrill = drill("pitr-drill", NAMES.pitrDrillCronJob, pitrDrill, SCRIPTS.pitrDrill, {
                TERNENT_PITR_TARGET: args.drills.pitrTarget,
            });
        }
        this.registerOutputs({});
    }
}
