// archive_timeout bounds how long a committed write can sit in an unfinished WAL segment before it
// is archived (the recovery point objective on a quiet database).
import { PolicyConfigSchema } from "@pulumi/policy";
import { pgDurationSeconds, PgConfError } from "../lib/pgconf";
import { stackPolicy } from "../lib/checks";
import { postgresOrNotApplicable, postgresRuntime } from "../lib/postgres";
import { StackView } from "../lib/stack";
import { stackFile, stackKey } from "../lib/workloads";
import { POLICY_CONFIG_DEFAULTS } from "../lib/defaults";

const DEFAULTS = POLICY_CONFIG_DEFAULTS["archive-timeout"];

export interface ArchiveTimeoutConfig {
    readonly maxArchiveTimeoutSeconds: number;
}

/** The config schema of both archive_timeout policies (ha-archive-timeout judges the operator's cluster). */
export function archiveTimeoutSchema(defaultSeconds: number): PolicyConfigSchema {
    return {
        properties: {
            maxArchiveTimeoutSeconds: { type: "number", exclusiveMinimum: 0, default: defaultSeconds, description: "Largest allowed archive_timeout, in seconds." },
        },
    };
}

/** How to fix an archive_timeout either policy refuses: the stack config key that sets it. */
export function archiveTimeoutFix(view: StackView, max: number): string {
    return `Fix: set ${stackKey(view, "postgres.archiveTimeoutSeconds")} to a value from 1 to ${max} in ${stackFile(view)}.`;
}

export const archiveTimeout = stackPolicy<ArchiveTimeoutConfig>({
    name: "archive-timeout",
    description: `The Postgres server forces a WAL segment switch at least every maxArchiveTimeoutSeconds (default ${DEFAULTS.maxArchiveTimeoutSeconds}): 0 < archive_timeout ≤ the maximum, as read from the postgresql.conf the StatefulSet mounts and its -c options.`,
    remediationSteps: "Set ternent-postgres:postgres.archiveTimeoutSeconds to at most 60 (and more than 0) in the stack file.",
    severity: "high",
    configSchema: archiveTimeoutSchema(DEFAULTS.maxArchiveTimeoutSeconds),
    validate(args, checks, config) {
        const view = new StackView(args);
        const sets = postgresOrNotApplicable(view);
        const max = config.maxArchiveTimeoutSeconds;
        const fix = archiveTimeoutFix(view, max);
        for (const w of sets) {
            const rt = postgresRuntime(view, w);
            rt.unknown.forEach((u) => checks.unknown(u));
            if (rt.unknown.length > 0) {
                continue;
            }
            if (rt.problems.length > 0) {
                checks.violation(`StatefulSet ${w.id}: archive_timeout cannot be read: ${rt.problems.join("; ")}.`, w.res.urn);
                continue;
            }
            const setting = rt.settings.get("archive_timeout");
            if (!setting && !rt.confKnown) {
                checks.violation(`StatefulSet ${w.id}: archive_timeout is not visible to the policy: postgres is not started with ` +
                    "-c config_file=<file from a ConfigMap of this stack> nor -c archive_timeout=…", w.res.urn);
                continue;
            }
            let seconds: number;
            try {
                seconds = setting ? pgDurationSeconds(setting.value) : 0;
            } catch (e) {
                if (!(e instanceof PgConfError)) {
                    throw e;
                }
                checks.violation(`StatefulSet ${w.id}: archive_timeout=${JSON.stringify(setting!.value)} in ${setting!.from} is not a duration. ${fix}`, w.res.urn);
                continue;
            }
            const found = setting ? `archive_timeout=${JSON.stringify(setting.value)} in ${setting.from}` : "archive_timeout is not set (PostgreSQL's default 0)";
            if (seconds <= 0) {
                checks.violation(`StatefulSet ${w.id}: ${found} disables forced WAL switches: on a quiet database the last ` +
                    `commits can stay unarchived for hours. The maximum is ${max} s (policy config maxArchiveTimeoutSeconds). ${fix}`, w.res.urn);
            } else if (seconds > max) {
                checks.violation(`StatefulSet ${w.id}: ${found} is ${seconds} s, above the maximum of ${max} s ` +
                    `(policy config maxArchiveTimeoutSeconds): up to ${seconds} s of commits can be lost with the volume. ${fix}`, w.res.urn);
            }
        }
    },
});
