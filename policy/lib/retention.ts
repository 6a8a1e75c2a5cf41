// The retention CronJob(s) and the retention numbers their container really gets.

import { StackValidationArgs } from "@pulumi/policy";
import { Checks } from "./checks";
import { ContainerRef } from "./k8s";
import { StackView, Workload } from "./stack";
import { envLookup, roleContainer, stackFile, stackKey } from "./workloads";

export interface RetentionJob {
    readonly w: Workload;
    readonly c: ContainerRef | undefined;
}

export function retentionJobs(view: StackView): RetentionJob[] {
    return view.byRole("retention").map((w) => ({ w, c: roleContainer(w) }));
}

export interface MinimumSpec {
    readonly env: string;
    readonly configName: string;
    readonly minimum: number;
    readonly stackConfig: string;
    readonly what: string;
    readonly why: string;
}

/**
 * Checks that every retention job's container gets `spec.env` as an integer ≥ the minimum; not
 * applicable when the stack has no retention job (retention-job-scheduled reports that).
 */
export function checkRetentionMinimum(args: StackValidationArgs, checks: Checks, spec: MinimumSpec): void {
    const view = new StackView(args);
    const jobs = retentionJobs(view);
    if (jobs.length === 0) {
        args.notApplicable("the stack has no retention CronJob; policy retention-job-scheduled reports that");
    }
    const fix = `Fix: set ${stackKey(view, spec.stackConfig)} to ${spec.minimum} or more in ${stackFile(view)}.`;
    for (const { w, c } of jobs) {
        if (!c) {
            if (w.unknownParts.length > 0) {
                checks.unknown(`${spec.env} of CronJob ${w.id} (pod template unknown)`);
            } else {
                checks.violation(`CronJob ${w.id} has no container, so nothing keeps ${spec.what}. ${fix}`, w.res.urn);
            }
            continue;
        }
        const v = envLookup(view, w, c, spec.env);
        if (v.kind === "unknown") {
            checks.unknown(v.where);
            continue;
        }
        if (v.kind === "missing") {
            checks.violation(`${v.where}; retention.sh would silently use its built-in default. ` +
                `Set it explicitly to at least ${spec.minimum} (policy config ${spec.configName}). ${fix}`, w.res.urn);
            continue;
        }
        const n = /^\s*\d+\s*$/.test(v.value) ? Number(v.value) : NaN;
        if (!Number.isInteger(n)) {
            checks.violation(`${v.where}: ${JSON.stringify(v.value)} is not a whole number, so retention.sh refuses to run ` +
                `and ${spec.what} are not managed. ${fix}`, w.res.urn);
        } else if (n < spec.minimum) {
            checks.violation(`${v.where}: keeps ${n} ${spec.what}, below the minimum of ${spec.minimum} ` +
                `(policy config ${spec.configName}). ${spec.why} ${fix}`, w.res.urn);
        }
    }
}
