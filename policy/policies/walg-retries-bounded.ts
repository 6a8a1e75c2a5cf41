// WAL-G gives up on an unreadable object in bounded time: every container that runs WAL-G gets retry
// settings (WALG_DOWNLOAD_FILE_RETRIES, WALG_S3_MAX_RETRIES, the throttling delays, with
// WALG_DOWNLOAD_CONCURRENCY) whose worst case stays under maxRetrySeconds. WAL-G's defaults retry a
// corrupt or unreadable backup for 67 minutes, while `pulumi up` waits on the restore Job and a drill
// has no verdict.
import { stackPolicy } from "../lib/checks";
import { StackView } from "../lib/stack";
import { walgConsumers } from "../lib/walg";
import { envLookup, stackFile, stackKey } from "../lib/workloads";
import { fetchRetryWorstCase, RetrySettings, WALG_RETRY_DEFAULTS, WALG_RETRY_ENV } from "../lib/walg-retry";
import { POLICY_CONFIG_DEFAULTS } from "../lib/defaults";

const DEFAULTS = POLICY_CONFIG_DEFAULTS["walg-retries-bounded"];

export interface WalgRetriesConfig {
    readonly maxRetrySeconds: number;
}

export const walgRetriesBounded = stackPolicy<WalgRetriesConfig>({
    name: "walg-retries-bounded",
    description: `Every container that runs WAL-G gives up on an unreadable object (corrupt, wrong key, storage down) within maxRetrySeconds (default ${DEFAULTS.maxRetrySeconds}): the worst case of backup-fetch's rounds (WALG_DOWNLOAD_FILE_RETRIES, halving WALG_DOWNLOAD_CONCURRENCY) and each S3 request's retries (WALG_S3_MAX_RETRIES, WALG_S3_MIN/MAX_THROTTLING_RETRY_DELAY), WAL-G's defaults where unset.`,
    remediationSteps: "Set ternent-postgres:walg.retries (fileRetries, requestRetries, maxSeconds) in the stack file so that the worst case stays under the maximum.",
    severity: "high",
    configSchema: {
        properties: {
            maxRetrySeconds: { type: "number", exclusiveMinimum: 0, default: DEFAULTS.maxRetrySeconds, description: "Longest worst-case time WAL-G may retry one unreadable object, in seconds." },
        },
    },
    validate(args, checks, config) {
        const view = new StackView(args);
        const consumers = walgConsumers(view).filter((x) => x.certain && x.c.kind === "container");
        if (consumers.length === 0) {
            args.notApplicable("no container runs WAL-G");
        }
        const max = config.maxRetrySeconds;
        const fix = `Fix: set ${stackKey(view, "walg.retries")} (fileRetries, requestRetries) in ${stackFile(view)} so that the worst case is at most ${max} s.`;
        for (const { w, c } of consumers) {
            const read: Partial<Record<keyof RetrySettings, number>> = {};
            const found: string[] = [];
            let complete = true;
            for (const [field, name] of Object.entries(WALG_RETRY_ENV) as Array<[keyof RetrySettings, string]>) {
                const v = envLookup(view, w, c, name);
                if (v.kind === "unknown") {
                    checks.unknown(v.where);
                    complete = false;
                } else if (v.kind === "missing") {
                    read[field] = WALG_RETRY_DEFAULTS[field];
                    found.push(`${name} unset (WAL-G's default ${WALG_RETRY_DEFAULTS[field]})`);
                } else if (!/^\d+$/.test(v.value.trim())) {
                    checks.violation(`${v.where}: not a whole number, so WAL-G's retries cannot be bounded. ${fix}`, w.res.urn);
                    complete = false;
                } else {
                    read[field] = Number(v.value.trim());
                    found.push(`${name}=${v.value.trim()}`);
                }
            }
            if (!complete) {
                continue;
            }
            const worst = fetchRetryWorstCase(read as RetrySettings);
            if (worst.seconds > max) {
                checks.violation(`Container ${c.name} of ${w.id} (${found.join(", ")}): WAL-G can retry one unreadable object for up to ` +
                    `${worst.seconds} s (${worst.sleeps} backup-fetch rounds sleeping ${worst.sleepSeconds} s, ${worst.attempts} attempts × ` +
                    `${worst.requestWaitSeconds} s of S3 request retries), more than the maximum of ${max} s (policy config maxRetrySeconds): ` +
                    `a corrupt backup holds a drill or the restore Job that long without a verdict. ${fix}`, w.res.urn);
            }
        }
    },
});
