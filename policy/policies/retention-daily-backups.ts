// The retention job keeps at least N daily base backups (TERNENT_RETAIN_DAILY on its container).
import { stackPolicy } from "../lib/checks";
import { checkRetentionMinimum } from "../lib/retention";
import { POLICY_CONFIG_DEFAULTS } from "../lib/defaults";

const DEFAULTS = POLICY_CONFIG_DEFAULTS["retention-daily-backups"];

export interface RetentionDailyConfig {
    readonly minDailyBackups: number;
}

export const retentionDailyBackups = stackPolicy<RetentionDailyConfig>({
    name: "retention-daily-backups",
    description: `The retention CronJob keeps at least minDailyBackups (default ${DEFAULTS.minDailyBackups}) daily base backups: TERNENT_RETAIN_DAILY on the container that runs retention.sh.`,
    remediationSteps: `Set ternent-postgres:retention.daily to at least ${DEFAULTS.minDailyBackups} in the stack file.`,
    severity: "critical",
    configSchema: {
        properties: {
            minDailyBackups: { type: "integer", minimum: 1, default: DEFAULTS.minDailyBackups, description: "Fewest daily base backups the retention job may keep." },
        },
    },
    validate(args, checks, config) {
        checkRetentionMinimum(args, checks, {
            env: "TERNENT_RETAIN_DAILY",
            configName: "minDailyBackups",
            minimum: config.minDailyBackups,
            stackConfig: "retention.daily",
            what: "daily backups",
            why: "Fewer daily backups mean fewer independent restore points if the newest ones are damaged.",
        });
    },
});
