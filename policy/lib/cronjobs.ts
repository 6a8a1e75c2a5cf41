// What every policy over a scheduled job checks the same way: the schedule is valid, not suspended
// and fires often enough, and the pod template has the container that runs the job's script.

import { Checks } from "./checks";
import { ContainerRef } from "./k8s";
import { Workload } from "./stack";
import { roleContainer, Schedule, scheduleOf } from "./workloads";

export interface ScheduleRule {
    /** How to fix a missing or invalid schedule; ends that violation. */
    readonly fix: string;
    /** What a suspended job means, right after "is suspended (spec.suspend: true)", e.g. ": no base backups are taken." */
    readonly whenSuspended: string;
    /** The violation for a valid, running schedule whose worst-case gap is too long; undefined when it is not. */
    readonly tooRare: (schedule: Schedule, worstSeconds: number) => string | undefined;
}

/** Reports an unknown, invalid, suspended or too rare schedule of CronJob `w`. */
export function checkSchedule(checks: Checks, w: Workload, rule: ScheduleRule): void {
    const s = scheduleOf(w);
    if (s.unknown) {
        checks.unknown(`the schedule of CronJob ${w.id}`);
    } else if (s.problem) {
        checks.violation(`CronJob ${w.id}: ${s.problem}. ${rule.fix}`, w.res.urn);
    } else if (s.suspended) {
        checks.violation(`CronJob ${w.id} is suspended (spec.suspend: true)${rule.whenSuspended} Fix: remove spec.suspend.`, w.res.urn);
    } else {
        const tooRare = rule.tooRare(s, s.maxIntervalSeconds ?? Infinity);
        if (tooRare !== undefined) {
            checks.violation(tooRare, w.res.urn);
        }
    }
}

/** The container that runs the job's script; reports an unknown pod template, or one without a container. */
export function jobContainer(checks: Checks, w: Workload): ContainerRef | undefined {
    const c = roleContainer(w);
    if (!c) {
        if (w.unknownParts.length > 0) {
            checks.unknown(`the pod template of CronJob ${w.id}`);
        } else {
            checks.violation(`CronJob ${w.id} has no container.`, w.res.urn);
        }
    }
    return c;
}
