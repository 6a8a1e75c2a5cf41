// A restore drill (restore-drill.sh) in the DR namespace at least every maxRestoreDrillIntervalDays.
import { stackPolicy } from "../lib/checks";
import { checkDrill } from "../lib/drills";
import { POLICY_CONFIG_DEFAULTS } from "../lib/defaults";

const DEFAULTS = POLICY_CONFIG_DEFAULTS["restore-drill-weekly"];

export interface RestoreDrillConfig {
    readonly maxRestoreDrillIntervalDays: number;
}

export const restoreDrillWeekly = stackPolicy<RestoreDrillConfig>({
    name: "restore-drill-weekly",
    description: `A restore-drill CronJob (restore-drill.sh) runs in the DR namespace, unsuspended, at least every maxRestoreDrillIntervalDays (default ${DEFAULTS.maxRestoreDrillIntervalDays}) days, worst case.`,
    remediationSteps: "Set ternent-postgres:schedules.restoreDrill to a schedule that fires at least weekly, e.g. \"0 5 * * *\".",
    configSchema: {
        properties: {
            maxRestoreDrillIntervalDays: { type: "number", exclusiveMinimum: 0, default: DEFAULTS.maxRestoreDrillIntervalDays, description: "Longest worst-case time between two restore drills, in days." },
        },
    },
    validate(args, checks, config) {
        checkDrill(args, checks, {
            role: "restore-drill", script: "restore-drill.sh", what: "restore drill",
            maxDays: config.maxRestoreDrillIntervalDays, configName: "maxRestoreDrillIntervalDays",
            scheduleKey: "schedules.restoreDrill", example: "0 5 * * *",
        });
    },
});
