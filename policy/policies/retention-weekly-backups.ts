// The retention job keeps at least N weekly base backups (TERNENT_RETAIN_WEEKLY) and names a valid
// day for them (TERNENT_WEEKLY_DAY).
import { stackPolicy } from "../lib/checks";
import { checkRetentionMinimum, retentionJobs } from "../lib/retention";
import { StackView } from "../lib/stack";
import { envLookup, stackFile, stackKey } from "../lib/workloads";
import { POLICY_CONFIG_DEFAULTS } from "../lib/defaults";

const DEFAULTS = POLICY_CONFIG_DEFAULTS["retention-weekly-backups"];

export interface RetentionWeeklyConfig {
    readonly minWeeklyBackups: number;
}

const DAYS = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

export const retentionWeeklyBackups = stackPolicy<RetentionWeeklyConfig>({
    name: "retention-weekly-backups",
    description: `The retention CronJob keeps at least minWeeklyBackups (default ${DEFAULTS.minWeeklyBackups}) weekly base backups: TERNENT_RETAIN_WEEKLY on the container that runs retention.sh, with a valid TERNENT_WEEKLY_DAY.`,
    remediationSteps: `Set ternent-postgres:retention.weekly to at least ${DEFAULTS.minWeeklyBackups} and retention.weeklyDay to sunday..saturday in the stack file.`,
    severity: "critical",
    configSchema: {
        properties: {
            minWeeklyBackups: { type: "integer", minimum: 0, default: DEFAULTS.minWeeklyBackups, description: "Fewest weekly base backups the retention job may keep." },
        },
    },
    validate(args, checks, config) {
        checkRetentionMinimum(args, checks, {
            env: "TERNENT_RETAIN_WEEKLY",
            configName: "minWeeklyBackups",
            minimum: config.minWeeklyBackups,
            stackConfig: "retention.weekly",
            what: "weekly backups",
            why: "Weekly backups are the only restore points older than the daily ones; with fewer, damage noticed late cannot be undone.",
        });
        const view = new StackView(args);
        for (const { w, c } of retentionJobs(view)) {
            if (!c) {
                continue;
            }
            const day = envLookup(view, w, c, "TERNENT_WEEKLY_DAY");
            if (day.kind === "unknown") {
                checks.unknown(day.where);
            } else if (day.kind === "value" && !DAYS.includes(day.value)) {
                checks.violation(`${day.where}: ${JSON.stringify(day.value)} is not a day name (${DAYS.join(", ")}), ` +
                    `so retention.sh refuses to run and no weekly backup is kept. Fix: set ${stackKey(view, "retention.weeklyDay")} in ${stackFile(view)}.`,
                w.res.urn);
            }
        }
    },
});
