// A point-in-time-recovery drill (pitr-drill.sh) in the DR namespace at least every
// maxPitrDrillIntervalDays (31: a monthly "0 6 1 * *" waits 31 days in the worst case).
import { stackPolicy } from "../lib/checks";
import { checkDrill } from "../lib/drills";
import { POLICY_CONFIG_DEFAULTS } from "../lib/defaults";

const DEFAULTS = POLICY_CONFIG_DEFAULTS["pitr-drill-monthly"];

export interface PitrDrillConfig {
    readonly maxPitrDrillIntervalDays: number;
}

export const pitrDrillMonthly = stackPolicy<PitrDrillConfig>({
    name: "pitr-drill-monthly",
    description: `A PITR-drill CronJob (pitr-drill.sh) runs in the DR namespace, unsuspended, at least every maxPitrDrillIntervalDays (default ${DEFAULTS.maxPitrDrillIntervalDays}) days, worst case.`,
    remediationSteps: "Set ternent-postgres:schedules.pitrDrill to a schedule that fires at least monthly, e.g. \"0 6 1 * *\".",
    configSchema: {
        properties: {
            maxPitrDrillIntervalDays: { type: "number", exclusiveMinimum: 0, default: DEFAULTS.maxPitrDrillIntervalDays, description: "Longest worst-case time between two PITR drills, in days." },
        },
    },
    validate(args, checks, config) {
        checkDrill(args, checks, {
            role: "pitr-drill", script: "pitr-drill.sh", what: "PITR drill",
            maxDays: config.maxPitrDrillIntervalDays, configName: "maxPitrDrillIntervalDays",
            scheduleKey: "schedules.pitrDrill", example: "0 6 1 * *",
        });
    },
});
