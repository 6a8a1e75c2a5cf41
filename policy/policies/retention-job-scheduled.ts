// The retention CronJob exists next to the primary, runs retention.sh for real (not a dry run) on a
// valid, unsuspended schedule, and prunes the prefix the primary archives to.
import { stackPolicy } from "../lib/checks";
import { retentionJobs } from "../lib/retention";
import { StackView } from "../lib/stack";
import { checkJobScriptAndPrefix, primaryPrefix } from "../lib/walg";
import { checkSchedule } from "../lib/cronjobs";
import { envLookup, humanSeconds, stackFile, stackKey } from "../lib/workloads";

export const retentionJobScheduled = stackPolicy<object>({
    name: "retention-job-scheduled",
    description: "A retention CronJob runs retention.sh in the primary's namespace on a valid, unsuspended schedule, not as a dry run, against the WAL-G prefix the primary archives to.",
    remediationSteps: "Set ternent-postgres:schedules.retention to a 5-field cron expression; do not suspend the job or set TERNENT_RETENTION_DRY_RUN=true.",
    validate(args, checks) {
        const view = new StackView(args);
        const jobs = retentionJobs(view);
        const primaryNs = view.primaryNamespace();
        const fixSchedule = `Fix: set ${stackKey(view, "schedules.retention")} in ${stackFile(view)} to a 5-field cron expression.`;
        if (jobs.length === 0) {
            checks.violation("The stack has no retention CronJob (label app.kubernetes.io/component=retention, or a container " +
                "running retention.sh): backups and WAL would never be pruned by the GFS rules, and the retention values " +
                `the other policies check would govern nothing. ${fixSchedule}`);
            return;
        }
        const primary = primaryPrefix(view);
        for (const { w, c } of jobs) {
            if (w.unknownParts.length > 0) {
                checks.unknown(`the pod template of CronJob ${w.id}`);
            }
            if (primaryNs !== undefined && w.meta.namespace !== primaryNs) {
                checks.violation(`CronJob ${w.id} runs in namespace ${w.meta.namespace}, but the primary runs in ${primaryNs}; ` +
                    `retention belongs next to the primary with the read-write key. Fix: check ${stackKey(view, "namespaces")} in ${stackFile(view)}.`, w.res.urn);
            }
            checkSchedule(checks, w, {
                fix: fixSchedule,
                whenSuspended: ", so retention never runs.",
                tooRare: (s, worst) => Number.isFinite(worst)
                    ? undefined
                    : `CronJob ${w.id} schedule ${JSON.stringify(s.expression)} fires ${humanSeconds(worst)}. ${fixSchedule}`,
            });
            if (!c) {
                if (w.unknownParts.length === 0) {
                    checks.violation(`CronJob ${w.id} has no container.`, w.res.urn);
                }
                continue;
            }
            const dry = envLookup(view, w, c, "TERNENT_RETENTION_DRY_RUN");
            if (dry.kind === "unknown") {
                checks.unknown(dry.where);
            } else if (dry.kind === "value" && /^(true|1|yes|on)$/i.test(dry.value.trim())) {
                checks.violation(`${dry.where}: the retention job only logs its plan and changes nothing. ` +
                    "Fix: set TERNENT_RETENTION_DRY_RUN=false (or remove it) once the plan in the job log looks right.", w.res.urn);
            }
            checkJobScriptAndPrefix(checks, view, w, c, primary, "retention.sh", {
                missing: "the retention job does not know which backups to prune.",
                differs: (p) => ` to ${p}: the retention job would prune a different history than the one being written.`,
            });
        }
    },
});
