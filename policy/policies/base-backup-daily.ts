// A base backup at least once a day: the backup CronJob exists next to the primary, fires at least
// every maxBaseBackupIntervalHours, is not suspended, runs backup.sh and writes where WAL goes.
import { stackPolicy } from "../lib/checks";
import { operatorClusters } from "../lib/operator";
import { StackView } from "../lib/stack";
import { checkJobScriptAndPrefix, primaryPrefix } from "../lib/walg";
import { checkSchedule, jobContainer } from "../lib/cronjobs";
import { humanSeconds, stackFile, stackKey } from "../lib/workloads";
import { POLICY_CONFIG_DEFAULTS } from "../lib/defaults";

const DEFAULTS = POLICY_CONFIG_DEFAULTS["base-backup-daily"];

export interface BaseBackupConfig {
    readonly maxBaseBackupIntervalHours: number;
}

export const baseBackupDaily = stackPolicy<BaseBackupConfig>({
    name: "base-backup-daily",
    description: `The backup CronJob (backup.sh, wal-g backup-push) runs in the primary's namespace at least every maxBaseBackupIntervalHours (default ${DEFAULTS.maxBaseBackupIntervalHours}) hours, worst case, is not suspended, and backs up to the prefix the primary archives WAL to.`,
    remediationSteps: "Set ternent-postgres:schedules.backup to a schedule that fires at least daily, e.g. \"0 2 * * *\".",
    severity: "critical",
    configSchema: {
        properties: {
            maxBaseBackupIntervalHours: {
                type: "number", exclusiveMinimum: 0, default: DEFAULTS.maxBaseBackupIntervalHours,
                description: "Longest worst-case time between two base backups, in hours.",
            },
        },
    },
    validate(args, checks, config) {
        const view = new StackView(args);
        const maxSeconds = config.maxBaseBackupIntervalHours * 3600;
        const fix = `Fix: set ${stackKey(view, "schedules.backup")} in ${stackFile(view)} to fire at least every ${config.maxBaseBackupIntervalHours} hours, e.g. "0 2 * * *".`;
        const jobs = view.byRole("backup").filter((w) => w.res.type === "kubernetes:batch/v1:CronJob");
        if (jobs.length === 0 && operatorClusters(view).length > 0) {
            args.notApplicable("the database is the operator's cluster, whose base backups policy ha-backups-scheduled judges");
        }
        if (jobs.length === 0) {
            checks.violation("The stack has no backup CronJob (label app.kubernetes.io/component=backup, or a container " +
                "running backup.sh): without base backups, WAL alone cannot restore the database. " + fix);
            return;
        }
        const primaryNs = view.primaryNamespace();
        const primary = primaryPrefix(view);
        for (const w of jobs) {
            if (primaryNs !== undefined && w.meta.namespace !== primaryNs) {
                checks.violation(`CronJob ${w.id} runs in namespace ${w.meta.namespace}, but the primary runs in ${primaryNs}; ` +
                    "it must mount the primary's volume there.", w.res.urn);
            }
            checkSchedule(checks, w, {
                fix,
                whenSuspended: ": no base backups are taken.",
                tooRare: (s, worst) => worst > maxSeconds
                    ? `CronJob ${w.id} schedule ${JSON.stringify(s.expression)}` +
                        `${s.timeZone ? ` (timeZone ${s.timeZone}, +1 hour for daylight saving)` : ""} can leave ` +
                        `${humanSeconds(worst)} between base backups; the maximum is ` +
                        `${config.maxBaseBackupIntervalHours} hours (policy config maxBaseBackupIntervalHours). ` +
                        `Longer gaps mean longer WAL replay and more WAL to lose. ${fix}`
                    : undefined,
            });
            const c = jobContainer(checks, w);
            if (!c) {
                continue;
            }
            checkJobScriptAndPrefix(checks, view, w, c, primary, "backup.sh", {
                missing: "backup-push has nowhere to write.",
                differs: (p) => ` WAL to ${p}: base backups and WAL must share a prefix to restore.`,
            });
        }
    },
});
