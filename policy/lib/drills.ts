// Restore and PITR drills: CronJobs of a role, in the DR namespace, firing often enough.

import { StackValidationArgs } from "@pulumi/policy";
import { Checks } from "./checks";
import { TYPES } from "./k8s";
import { StackView } from "./stack";
import { checkSchedule, jobContainer } from "./cronjobs";
import { humanSeconds, scriptOf, stackFile, stackKey } from "./workloads";

export interface DrillSpec {
    readonly role: string;
    readonly script: string;
    readonly what: string;
    readonly maxDays: number;
    readonly configName: string;
    readonly scheduleKey: string;
    readonly example: string;
}

export function checkDrill(args: StackValidationArgs, checks: Checks, spec: DrillSpec): void {
    const view = new StackView(args);
    const drills = view.byRole(spec.role).filter((w) => w.res.type === TYPES.CronJob);
    const dr = view.drNamespaces();
    const primary = view.primaryNamespace();
    const fix = `Fix: set ${stackKey(view, spec.scheduleKey)} in ${stackFile(view)} to fire at least every ${spec.maxDays} days, e.g. ${JSON.stringify(spec.example)}.`;
    if (drills.length === 0) {
        checks.violation(`The stack has no ${spec.what} CronJob (label app.kubernetes.io/component=${spec.role}, or a container ` +
            `running ${spec.script}): nobody proves the backups restore until the day they must. ${fix}`);
        return;
    }
    for (const w of drills) {
        if (!dr.includes(w.meta.namespace)) {
            const where = w.meta.namespace === primary ? "the primary's namespace" : "a namespace this stack does not create";
            checks.violation(`CronJob ${w.id} runs in ${where} (${w.meta.namespace}); drills belong in the DR namespace ` +
                `(${dr.length > 0 ? dr.join(", ") : "none created by this stack"}), away from the primary and its read-write key. ` +
                `Fix: check ${stackKey(view, "namespaces")}.dr in ${stackFile(view)}.`, w.res.urn);
        }
        checkSchedule(checks, w, {
            fix,
            whenSuspended: `: the ${spec.what} never runs.`,
            tooRare: (s, worst) => worst > spec.maxDays * 86400
                ? `CronJob ${w.id} schedule ${JSON.stringify(s.expression)} can leave ${humanSeconds(worst)} between ` +
                    `${spec.what}s; the maximum is ${spec.maxDays} days (policy config ${spec.configName}). ${fix}`
                : undefined,
        });
        const c = jobContainer(checks, w);
        if (!c) {
            continue;
        }
        const script = scriptOf(view, w, c, spec.script);
        if (script.unknown) {
            checks.unknown(script.unknown);
        } else if (script.problem) {
            checks.violation(`${script.problem}.`, w.res.urn);
        }
    }
}
