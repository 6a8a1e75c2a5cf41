// ternent-postgres:retention: how many daily and weekly base backups retention keeps, the PITR window,
// the weekday of the weekly backup, and the dry run. Given at all, it must spell out the three counts.

import { Weekday, WEEKDAYS } from "../../lib/contract";
import { DEFAULTS } from "../defaults";
import { POLICY_MINIMUMS } from "../policy";
import { Reader } from "../reader";

export interface RetentionConfig {
    readonly daily: number;
    readonly weekly: number;
    readonly pitrDays: number;
    readonly weeklyDay: Weekday;
    readonly dryRun: boolean;
}

export function readRetention(r: Reader, value: unknown): RetentionConfig {
    const d = DEFAULTS.retention;
    const o = r.object("retention", value, ["daily", "weekly", "pitrDays", "weeklyDay", "dryRun"]);
    if (o === undefined) {
        return { ...d };
    }
    for (const field of ["daily", "weekly", "pitrDays"]) {
        if (o[field] === undefined) {
            r.problems.push(`${r.key(`retention.${field}`)} is missing: when ${r.key("retention")} is given it must spell out daily, weekly and pitrDays ` +
                `(positive integers; the policy minimums are ${POLICY_MINIMUMS.dailyBackups}, ${POLICY_MINIMUMS.weeklyBackups} and ${POLICY_MINIMUMS.pitrDays})`);
        }
    }
    const positive = (field: string, fallback: number, max: number): number =>
        r.integer(`retention.${field}`, o[field], fallback, 1, max, " (values below the policy minimum are refused by the policy pack, not here)");
    return {
        daily: positive("daily", d.daily, 3650),
        weekly: positive("weekly", d.weekly, 520),
        pitrDays: positive("pitrDays", d.pitrDays, 3650),
        weeklyDay: r.oneOf("retention.weeklyDay", o.weeklyDay, d.weeklyDay, WEEKDAYS),
        dryRun: r.bool("retention.dryRun", o.dryRun, d.dryRun),
    };
}
