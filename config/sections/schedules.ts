// ternent-postgres:schedules: 5-field cron in UTC per job, taken whole: a job runs iff its schedule is
// set, and a job left out is off (with a warning naming the policy that refuses that).

import { DEFAULTS } from "../defaults";
import { JOB_POLICY } from "../policy";
import { Reader } from "../reader";

export const JOBS = ["backup", "retention", "restoreDrill", "pitrDrill", "canary", "verify"] as const;
export type JobName = typeof JOBS[number];

/** A job runs iff its schedule is set. */
export type Schedules = { readonly [J in JobName]?: string };

export function readSchedules(r: Reader, value: unknown): Schedules {
    const o = r.object("schedules", value, JOBS);
    if (o === undefined) {
        return { ...DEFAULTS.schedules };
    }
    const out: { [J in JobName]?: string } = {};
    for (const job of JOBS) {
        if (o[job] === undefined || o[job] === null) {
            const policy = JOB_POLICY[job];
            r.warn(`${r.key(`schedules.${job}`)} is not set, so the ${job} job is off (a job runs iff its schedule is set)` +
                (policy ? `; the policy pack refuses this (policy ${policy})` : "") +
                (job === "canary" ? "; the PITR drill proves its accuracy with canary rows and fails without them" : ""));
            continue;
        }
        const cron = r.cron(`schedules.${job}`, o[job]);
        if (cron !== undefined) {
            out[job] = cron;
        }
    }
    return out;
}
