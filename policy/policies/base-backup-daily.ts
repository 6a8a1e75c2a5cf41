// A base backup at least once a day: the backup CronJob exists next to the primary, fires at least
// every maxBaseBackupIntervalHours, is not suspended, runs backup.sh and writes where WAL goes.
import { stackPolicy } from "../lib/checks";
import { StackView } from "../lib/stack";
import { checkJobScriptAndPrefix, primaryPrefix } from "../lib/walg";
import { humanSeconds, roleContainer, scheduleOf, stackFile, stackKey } from "../lib/workloads";

export interface BaseBackupConfig {
    readonly maxBaseBackupIntervalHours: number;
}

export const baseBackupDaily = stackPolicy<BaseBackupConfig>({
    name: "base-backup-daily",
    description: "The backup CronJob (backup.sh, wal-g backup-push) runs in the primary's namespace at least every maxBaseBackupIntervalHours (default 24) hours, worst case, is not suspended, and backs up to the prefix the primary archives WAL to.",
    remediationSteps: "Set ternent-postgres:schedules.backup to a schedule that fires at least daily, e.g. \"0 2 * * *\".",
    severity: "critical",
    configSchema: {
        properties: {
            maxBaseBackupIntervalHours: {
                type: "number", exclusiveMinimum: 0, default: 24,
                description: "Longest worst-case time between two base backups, in hours.",
            },
        },
    },
    validate(args, checks, config) {
        const view = new StackView(args);
        const maxSeconds = config.maxBaseBackupIntervalHours * 3600;
        const fix = `Fix: set ${stackKey(view, "schedules.backup")} in ${stackFile(view)} to fire at least every ${config.maxBaseBackupIntervalHours} hours, e.g. "0 2 * * *".`;
        const jobs = view.byRole("backup").filter((w) => w.res.type === "kubernetes:batch/v1:CronJob");
        if (jobs.length === 0) {
            checks.violation("The stack has no backup CronJob (label app.kubernetes.io/component=backup, or a container " +
                "running backup.sh): without base backups, WAL alone cannot restore the database. " + fix);
            return;
        }
        const primaryNs = view.primaryNamespace();
        const primary = primaryPrefix(view);
        for (const w of jobs) {
            const s = scheduleOf(w);
            if (primaryNs !== undefined && w.meta.namespace !== primaryNs) {
                checks.violation(`CronJob ${w.id} runs in namespace ${w.meta.namespace}, but the primary runs in ${primaryNs}; ` +
                    "it must mount the primary's volume there.", w.res.urn);
            }
            if (s.unknown) {
                checks.unknown(`the schedule of CronJob ${w.id}`);
            } else if (s.problem) {
                checks.violation(`CronJob ${w.id}: ${s.problem}. ${fix}`, w.res.urn);
            } else if (s.suspended) {
                checks.violation(`CronJob ${w.id} is suspended (spec.suspend: true): no base backups are taken. Fix: remove spec.suspend.`, w.res.urn);
            } else if ((s.maxIntervalSeconds ?? Infinity) > maxSeconds) {
                checks.violation(`CronJob ${w.id} schedule ${JSON.stringify(s.expression)}` +
                    `${s.timeZone ? ` (timeZone ${s.timeZone}, +1 hour for daylight saving)` : ""} can leave ` +
                    `${humanSeconds(s.maxIntervalSeconds ?? Infinity)} between base backups; the maximum is ` +
                    `${config.maxBaseBackupIntervalHours} hours (policy config maxBaseBackupIntervalHours). ` +
                    `Longer gaps mean longer WAL replay and more WAL to lose. ${fix}`, w.res.urn);
            }
            const c = roleContainer(w);
            if (!c) {
                if (w.unknownParts.length > 0) {
                    checks.unknown(`the pod template of CronJob ${w.id}`);
                } else {
                    checks.violation(`CronJob ${w.id} has no container.`, w.res.urn);
                }
                continue;
            }
            checkJobScriptAndPrefix(checks, view, w, c, primary, "backup.sh", {
                missing: "backup-push has nowhere to write.",
                differs: (p) => ` WAL to ${p}: base backups and WAL must share a prefix to restore.`,
            });
        }
    },
});
