// The retention job keeps WAL (and the base backup before it) for at least N days of
// point-in-time recovery (TERNENT_PITR_DAYS).
import { stackPolicy } from "../lib/checks";
import { checkRetentionMinimum } from "../lib/retention";
import { POLICY_CONFIG_DEFAULTS } from "../lib/defaults";

const DEFAULTS = POLICY_CONFIG_DEFAULTS["retention-pitr-window"];

export interface RetentionPitrConfig {
    readonly minPitrDays: number;
}

export const retentionPitrWindow = stackPolicy<RetentionPitrConfig>({
    name: "retention-pitr-window",
    description: `The retention CronJob keeps at least minPitrDays (default ${DEFAULTS.minPitrDays}) days of point-in-time recovery: TERNENT_PITR_DAYS on the container that runs retention.sh.`,
    remediationSteps: `Set ternent-postgres:retention.pitrDays to at least ${DEFAULTS.minPitrDays} in the stack file.`,
    severity: "critical",
    configSchema: {
        properties: {
            minPitrDays: { type: "integer", minimum: 0, default: DEFAULTS.minPitrDays, description: "Fewest days of point-in-time recovery the retention job may keep." },
        },
    },
    validate(args, checks, config) {
        checkRetentionMinimum(args, checks, {
            env: "TERNENT_PITR_DAYS",
            configName: "minPitrDays",
            minimum: config.minPitrDays,
            stackConfig: "retention.pitrDays",
            what: "days of point-in-time recovery",
            why: "A shorter window means a bad write noticed later than that can no longer be undone to the second.",
        });
    },
});
