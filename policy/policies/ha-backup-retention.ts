// GFS retention stays the retention job's alone when the operator's cluster holds the data: the job
// runs against the prefix the cluster archives to, and Spilo's own pruning (postgres_backup.sh deletes
// backups older than BACKUP_NUM_TO_RETAIN days beyond the BACKUP_NUM_TO_RETAIN newest; its default is
// 5) can never reach a backup the job keeps: the oldest is a weekly one, at most (weekly + 1) weeks
// plus the PITR window old.
import { stackPolicy } from "../lib/checks";
import { clusterEnv, clustersOrNotApplicable, comparePrefix, cronJobs, knownSpec, literal, wholeNumber } from "../lib/operator";
import { StackView } from "../lib/stack";
import { envLookup, roleContainer, stackFile, stackKey } from "../lib/workloads";

export const haBackupRetention = stackPolicy<object>({
    name: "ha-backup-retention",
    description: "With a postgresql resource of the operator, the retention CronJob runs against the prefix the cluster archives to, and the cluster's BACKUP_NUM_TO_RETAIN is at least 7 × (weekly + 1) + pitrDays (the retention job's TERNENT_RETAIN_WEEKLY and TERNENT_PITR_DAYS), so Spilo's own pruning never deletes a backup GFS keeps.",
    remediationSteps: "Keep ternent-postgres:schedules.retention set; the program renders BACKUP_NUM_TO_RETAIN far above any GFS horizon (Spilo's pruning off).",
    severity: "critical",
    validate(args, checks) {
        const view = new StackView(args);
        const clusters = clustersOrNotApplicable(view);
        const jobs = cronJobs(view, "retention");
        if (jobs.length === 0) {
            checks.violation(`The stack has no retention CronJob: the operator's cluster's backups would be pruned only by Spilo (count and days, ` +
                `not GFS) or not at all. Fix: set ${stackKey(view, "schedules.retention")} in ${stackFile(view)}.`);
            return;
        }
        for (const cl of clusters) {
            if (!knownSpec(checks, cl)) continue;
            const serving = jobs.filter((w) => comparePrefix(view, cl, w).result !== "differs");
            for (const w of jobs) {
                const cmp = comparePrefix(view, cl, w);
                if (cmp.result === "unknown") checks.unknown(`whether ${w.id} prunes the prefix of postgresql ${cl.id}`);
            }
            if (serving.length === 0) {
                checks.violation(`postgresql ${cl.id} archives to ${comparePrefix(view, cl, jobs[0]).cluster.where}, but no retention CronJob runs against it ` +
                    `(${jobs.map((w) => comparePrefix(view, cl, w).job.where).join("; ")}): its backups are never pruned by GFS. Fix: render both from the same data generation.`, cl.res.urn);
                continue;
            }
            const lookup = clusterEnv(view, cl, "BACKUP_NUM_TO_RETAIN");
            const keep = wholeNumber(literal(lookup).value);
            for (const w of serving) {
                const c = roleContainer(w);
                const num = (name: string) => (c ? wholeNumber(literal(envLookup(view, w, c, name)).value) : undefined);
                const weekly = num("TERNENT_RETAIN_WEEKLY");
                const pitr = num("TERNENT_PITR_DAYS");
                if (weekly === undefined || pitr === undefined) {
                    checks.unknown(`TERNENT_RETAIN_WEEKLY / TERNENT_PITR_DAYS of ${w.id}`);
                    continue;
                }
                const need = 7 * (weekly + 1) + pitr;
                if (keep === undefined || keep < need) {
                    checks.violation(`postgresql ${cl.id}: BACKUP_NUM_TO_RETAIN is ${keep ?? `not a whole number (${lookup.where})`}: Spilo deletes base backups ` +
                        `older than that many days beyond that many, but ${w.id} keeps ${weekly} weekly backups and ${pitr} days of PITR, up to ${need} days old; ` +
                        `allowed is at least ${need}. Fix: render the ha profile's env (BACKUP_NUM_TO_RETAIN turns Spilo's pruning off).`, cl.res.urn);
                }
            }
        }
    },
});
