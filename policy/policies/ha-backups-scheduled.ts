// The operator's cluster takes base backups itself (Spilo's cron on the leader, BACKUP_SCHEDULE): at
// least every maxBaseBackupIntervalHours, worst case. base-backup-daily judges the single node's job.
import { stackPolicy } from "../lib/checks";
import { CronError, maxIntervalSeconds, parseCron } from "../lib/cron";
import { clusterEnv, knownClusters, literal } from "../lib/operator";
import { StackView } from "../lib/stack";
import { humanSeconds, stackFile, stackKey } from "../lib/workloads";
import { POLICY_CONFIG_DEFAULTS } from "../lib/defaults";

const DEFAULTS = POLICY_CONFIG_DEFAULTS["ha-backups-scheduled"];

export interface HaBackupsConfig {
    readonly maxBaseBackupIntervalHours: number;
}

export const haBackupsScheduled = stackPolicy<HaBackupsConfig>({
    name: "ha-backups-scheduled",
    description: `Every postgresql resource of the operator sets BACKUP_SCHEDULE in spec.env (Spilo's base backup cron, UTC) to a schedule that fires at least every maxBaseBackupIntervalHours (default ${DEFAULTS.maxBaseBackupIntervalHours}) hours, worst case.`,
    remediationSteps: "Set ternent-postgres:schedules.backup to a schedule that fires at least daily, e.g. \"0 2 * * *\".",
    severity: "critical",
    configSchema: {
        properties: {
            maxBaseBackupIntervalHours: { type: "number", exclusiveMinimum: 0, default: DEFAULTS.maxBaseBackupIntervalHours, description: "Longest worst-case time between two base backups, in hours." },
        },
    },
    validate(args, checks, config) {
        const view = new StackView(args);
        const fix = `Fix: set ${stackKey(view, "schedules.backup")} in ${stackFile(view)} to fire at least every ${config.maxBaseBackupIntervalHours} hours, e.g. "0 2 * * *".`;
        for (const cl of knownClusters(view, checks)) {
            const lookup = clusterEnv(view, cl, "BACKUP_SCHEDULE");
            if (lookup.kind === "unknown") {
                checks.unknown(lookup.where);
                continue;
            }
            const schedule = literal(lookup);
            if (schedule.value === undefined) {
                checks.violation(`postgresql ${cl.id}: ${lookup.kind === "missing" ? "BACKUP_SCHEDULE is not set in spec.env" : `BACKUP_SCHEDULE is not a literal (${schedule.describe})`}: ` +
                    `the policy cannot see when base backups run. ${fix}`, cl.res.urn);
                continue;
            }
            let worst: number;
            try {
                worst = maxIntervalSeconds(parseCron(schedule.value));
            } catch (e) {
                if (!(e instanceof CronError)) throw e;
                checks.violation(`postgresql ${cl.id}: BACKUP_SCHEDULE=${JSON.stringify(schedule.value)} is not a valid cron schedule (${e.message}). ${fix}`, cl.res.urn);
                continue;
            }
            if (worst > config.maxBaseBackupIntervalHours * 3600) {
                checks.violation(`postgresql ${cl.id}: BACKUP_SCHEDULE=${JSON.stringify(schedule.value)} can leave ${humanSeconds(worst)} between base backups; ` +
                    `the maximum is ${config.maxBaseBackupIntervalHours} hours (policy config maxBaseBackupIntervalHours). ${fix}`, cl.res.urn);
            }
        }
    },
});
