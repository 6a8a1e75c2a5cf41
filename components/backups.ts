// Jobs of the primary's namespace: the daily base backup (over the replication protocol, or on the
// primary's node with its PVC mounted: postgres.backupMode),
// GFS retention (read-write key, no PVC), the canary writer the PITR drill measures against, and the
// archiving health check. A job exists iff its schedule is set in the stack config.

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { NAMES, SCRIPTS } from "../lib/contract";
import type { AlertsConfig, RetentionConfig, Schedules } from "../config";
import { alertsSecret } from "./alerts";
import { adoptOptions, StackContext } from "./context";
import { labelsFor } from "./labels";
import {
    backupPod, cronJobSpec, DatabaseRefs, JOB_RESOURCES, pgConnectionEnv, scriptPod, SMALL_RESOURCES, walgEnvFrom, withAlerts,
} from "./pod";

export interface BackupsArgs {
    /** Values every component needs (the jobs run the context's image and WAL-G). */
    readonly context: StackContext;
    /** The database the jobs work on. */
    readonly database: DatabaseRefs;
    /** Schedules; a job is created iff its schedule is set. */
    readonly schedules: Schedules;
    /** Retention the retention job enforces. */
    readonly retention: RetentionConfig;
    /** postgres.archiveTimeoutSeconds (for verify). */
    readonly archiveTimeoutSeconds: number;
    /** verify.sh: archiving is unhealthy when the last archived WAL is older than this. */
    readonly verifyMaxArchiveAgeSeconds: number;
    /** verify.sh: archiving is stalled when a completed WAL segment has waited longer than this to be archived. */
    readonly verifyMaxReadyAgeSeconds: number;
    /** verify.sh: the archive_command the server must run (a Perl regex; absent: archive-command.sh, the single node's). */
    readonly verifyArchiveCommand?: string;
    /** Where verify posts its verdict (nothing without a webhook). */
    readonly alerts: AlertsConfig;
}

export class Backups extends pulumi.ComponentResource {
    /** The CronJobs created, by job. */
    readonly cronJobs: Readonly<Partial<Record<"backup" | "retention" | "canary" | "verify", k8s.batch.v1.CronJob>>>;

    constructor(name: string, args: BackupsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ternent-postgres:index:Backups", name, {}, opts);
        const { stack, image, walg } = args.context;
        const db = args.database;
        const ns = db.namespace;
        const childOpts = (objectName: string, adoptable = false): pulumi.CustomResourceOptions => ({
            parent: this,
            dependsOn: [...db.ready],
            ...adoptOptions(adoptable && args.context.adopt, `${ns}/${objectName}`),
        });
        const jobs: Partial<Record<"backup" | "retention" | "canary" | "verify", k8s.batch.v1.CronJob>> = {};

        if (args.schedules.backup) {
            const labels = labelsFor(stack, "backup");
            jobs.backup = new k8s.batch.v1.CronJob(`${name}-backup`, {
                metadata: { name: NAMES.backupCronJob, namespace: ns, labels: { ...labels } },
                spec: cronJobSpec(
                    { schedule: args.schedules.backup, startingDeadlineSeconds: 3600, activeDeadlineSeconds: 6 * 3600, backoffLimit: 2 },
                    labels,
                    backupPod(image, walg, db),
                ),
            }, childOpts(NAMES.backupCronJob, true));
        }

        if (args.schedules.retention) {
            const labels = labelsFor(stack, "retention");
            const r = args.retention;
            jobs.retention = new k8s.batch.v1.CronJob(`${name}-retention`, {
                metadata: { name: NAMES.retentionCronJob, namespace: ns, labels: { ...labels } },
                spec: cronJobSpec(
                    { schedule: args.schedules.retention, startingDeadlineSeconds: 3600, activeDeadlineSeconds: 2 * 3600, backoffLimit: 1 },
                    labels,
                    scriptPod({
                        image,
                        script: SCRIPTS.retention,
                        containerName: "retention",
                        scriptsConfigMap: db.scriptsConfigMapName,
                        walg,
                        // Literal values: the policy pack reads what the pod runs.
                        env: {
                            TERNENT_RETAIN_DAILY: String(r.daily),
                            TERNENT_RETAIN_WEEKLY: String(r.weekly),
                            TERNENT_PITR_DAYS: String(r.pitrDays),
                            TERNENT_WEEKLY_DAY: r.weeklyDay,
                            TERNENT_RETENTION_DRY_RUN: String(r.dryRun),
                        },
                        envFrom: walgEnvFrom(db.backupSecretName, db.walgConfigMapName),
                        resources: JOB_RESOURCES,
                    }),
                ),
            }, childOpts(NAMES.retentionCronJob));
        }

        if (args.schedules.canary) {
            const labels = labelsFor(stack, "canary");
            jobs.canary = new k8s.batch.v1.CronJob(`${name}-canary`, {
                metadata: { name: NAMES.canaryCronJob, namespace: ns, labels: { ...labels } },
                spec: cronJobSpec(
                    { schedule: args.schedules.canary, startingDeadlineSeconds: 60, activeDeadlineSeconds: 120, backoffLimit: 1 },
                    labels,
                    scriptPod({
                        image,
                        script: SCRIPTS.canary,
                        containerName: "canary",
                        scriptsConfigMap: db.scriptsConfigMapName,
                        envRefs: pgConnectionEnv(db.serviceHost, db.credentialsSecretName),
                        resources: SMALL_RESOURCES,
                        tmpSize: "16Mi",
                    }),
                ),
            }, childOpts(NAMES.canaryCronJob));
        }

        if (args.schedules.verify) {
            const labels = labelsFor(stack, "verify");
            const pod = scriptPod({
                image,
                script: SCRIPTS.verify,
                containerName: "verify",
                scriptsConfigMap: db.scriptsConfigMapName,
                // verify.sh asks PostgreSQL (pg_stat_archiver, pg_ls_archive_statusdir()): no WAL-G, no
                // bucket key, so no retry policy either.
                env: {
                    TERNENT_ARCHIVE_TIMEOUT_SECONDS: String(args.archiveTimeoutSeconds),
                    TERNENT_VERIFY_MAX_ARCHIVE_AGE_SECONDS: String(args.verifyMaxArchiveAgeSeconds),
                    TERNENT_VERIFY_MAX_READY_AGE_SECONDS: String(args.verifyMaxReadyAgeSeconds),
                    ...(args.verifyArchiveCommand ? { TERNENT_VERIFY_ARCHIVE_COMMAND: args.verifyArchiveCommand } : {}),
                },
                envRefs: pgConnectionEnv(db.serviceHost, db.credentialsSecretName),
                resources: SMALL_RESOURCES,
            });
            const secret = args.alerts.webhookUrl && alertsSecret(`${name}-alerts-secret`, this, ns, stack, args.alerts.webhookUrl);
            jobs.verify = new k8s.batch.v1.CronJob(`${name}-verify`, {
                metadata: { name: NAMES.verifyCronJob, namespace: ns, labels: { ...labels } },
                spec: cronJobSpec(
                    // Runs as often as every minute: a run that cannot start within a minute is skipped (the
                    // next one comes), and one that hangs is killed before it holds up more than one more.
                    { schedule: args.schedules.verify, startingDeadlineSeconds: 60, activeDeadlineSeconds: 110, backoffLimit: 0 },
                    labels,
                    secret ? withAlerts(pod, "verify", {
                        image: walg.installerImage, secretName: secret.metadata.name, onSuccess: args.alerts.onSuccess, source: `${stack} ${ns}`,
                    }) : pod,
                ),
            }, childOpts(NAMES.verifyCronJob));
        }

        this.cronJobs = jobs;
        this.registerOutputs({});
    }
}
