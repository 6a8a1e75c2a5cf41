// The drills prove the backups the database really writes: with the operator's cluster, a restore and a
// PITR drill read the prefix the cluster archives to (how often they run: restore-drill-weekly,
// pitr-drill-monthly).
import { stackPolicy } from "../lib/checks";
import { comparePrefix, cronJobs, knownClusters } from "../lib/operator";
import { StackView } from "../lib/stack";
import { stackFile, stackKey } from "../lib/workloads";

const DRILLS = [
    { role: "restore-drill", what: "restore drill", key: "schedules.restoreDrill" },
    { role: "pitr-drill", what: "PITR drill", key: "schedules.pitrDrill" },
];

export const haDrillsPresent = stackPolicy<object>({
    name: "ha-drills-present",
    description: "With a postgresql resource of the operator, a restore-drill and a PITR-drill CronJob exist and read the WAL-G prefix the cluster archives to (same Secret key or the same value), so they prove the cluster's own backups.",
    remediationSteps: "Keep ternent-postgres:schedules.restoreDrill and pitrDrill set; the program points the DR Secret at the cluster's data generation.",
    severity: "critical",
    validate(args, checks) {
        const view = new StackView(args);
        for (const cl of knownClusters(view, checks)) {
            for (const d of DRILLS) {
                const jobs = cronJobs(view, d.role);
                if (jobs.length === 0) {
                    checks.violation(`postgresql ${cl.id}: the stack has no ${d.what} CronJob: nothing proves the cluster's backups restore. ` +
                        `Fix: set ${stackKey(view, d.key)} in ${stackFile(view)}.`, cl.res.urn);
                    continue;
                }
                const results = jobs.map((w) => ({ w, cmp: comparePrefix(view, cl, w) }));
                if (results.some((r) => r.cmp.result === "same")) continue;
                if (results.some((r) => r.cmp.result === "unknown")) {
                    checks.unknown(`whether the ${d.what} reads the prefix of postgresql ${cl.id}`);
                    continue;
                }
                checks.violation(`postgresql ${cl.id} archives to ${results[0].cmp.cluster.where}, but the ${d.what} reads ` +
                    `${results.map((r) => r.cmp.job.where).join("; ")}: it proves other backups than the cluster's. Fix: render the DR Secret and the cluster from the same data generation.`, cl.res.urn);
            }
        }
    },
});
