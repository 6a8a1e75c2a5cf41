// Values that work but fall below what the policy pack enforces: the program warns, names the policy
// and still renders, because those thresholds belong to the mandatory pack and are configurable there
// (--policy-pack-config); a hard-coded floor here would defeat that.

import { maxIntervalSeconds, parseCron } from "../policy/lib/cron";
import { show } from "./errors";
import { POLICY_MINIMUMS, POLICY_NAMES } from "./policy";
import { Reader } from "./reader";
import type { PostgresConfig } from "./sections/postgres";
import type { RetentionConfig } from "./sections/retention";
import type { JobName, Schedules } from "./sections/schedules";
import type { SpacesConfig } from "./sections/spaces";
import type { WalgConfig } from "./sections/walg";

/** The sections the warnings look at. */
export interface WarnedSections {
    readonly postgres: PostgresConfig;
    readonly walg: WalgConfig;
    readonly spaces: SpacesConfig;
    readonly schedules: Schedules;
    readonly retention: RetentionConfig;
    /** verify.sh's ready-age limit (derived). */
    readonly verifyMaxReadyAgeSeconds: number;
}

export function policyWarnings(r: Reader, { postgres, walg, spaces, schedules, retention, verifyMaxReadyAgeSeconds }: WarnedSections): void {
    const below = (path: string, value: number, min: number, policy: string, what: string): void => {
        if (value < min) {
            r.warn(`${r.key(path)} = ${value} is below the policy minimum of ${min} ${what}: the policy pack refuses it (policy ${policy})`);
        }
    };
    below("retention.daily", retention.daily, POLICY_MINIMUMS.dailyBackups, POLICY_NAMES.retentionDaily, "daily backups");
    below("retention.weekly", retention.weekly, POLICY_MINIMUMS.weeklyBackups, POLICY_NAMES.retentionWeekly, "weekly backups");
    below("retention.pitrDays", retention.pitrDays, POLICY_MINIMUMS.pitrDays, POLICY_NAMES.pitrWindow, "days of PITR");
    if (retention.dryRun) {
        r.warn(`${r.key("retention.dryRun")} = true: retention logs its plan but deletes nothing, so storage grows without bound; ` +
            `the policy pack refuses it (policy ${POLICY_NAMES.retentionJob})`);
    }
    if (postgres.archiveTimeoutSeconds > POLICY_MINIMUMS.maxArchiveTimeoutSeconds) {
        r.warn(`${r.key("postgres.archiveTimeoutSeconds")} = ${postgres.archiveTimeoutSeconds} is above the policy maximum of ` +
            `${POLICY_MINIMUMS.maxArchiveTimeoutSeconds} s (an idle database can lose that much): the policy pack refuses it (policy ${POLICY_NAMES.archive})`);
    }
    const every = (job: JobName, limit: number, what: string, policy: string): void => {
        const cron = schedules[job];
        if (cron !== undefined) {
            const worst = maxIntervalSeconds(parseCron(cron));
            if (worst > limit) {
                r.warn(`${r.key(`schedules.${job}`)} = ${show(cron)} can wait ${Math.round(worst / 3600)} h between runs, more than ${what}: ` +
                    `the policy pack refuses it (policy ${policy})`);
            }
        }
    };
    every("backup", POLICY_MINIMUMS.backupEverySeconds, "once a day", POLICY_NAMES.backupSchedule);
    every("restoreDrill", POLICY_MINIMUMS.restoreDrillEverySeconds, "once a week", POLICY_NAMES.restoreDrill);
    every("pitrDrill", POLICY_MINIMUMS.pitrDrillEverySeconds, "once a month", POLICY_NAMES.pitrDrill);
    const verify = schedules.verify;
    if (verify !== undefined) {
        const worst = maxIntervalSeconds(parseCron(verify));
        const bound = POLICY_MINIMUMS.verifyIntervalArchiveTimeouts * postgres.archiveTimeoutSeconds;
        if (worst > bound) {
            r.warn(`${r.key("schedules.verify")} = ${show(verify)} can wait ${worst} s between runs, more than ${POLICY_MINIMUMS.verifyIntervalArchiveTimeouts} × ` +
                `${r.key("postgres.archiveTimeoutSeconds")} = ${bound} s: a stalled archiver that verify.sh sees within 2 × archive_timeout ` +
                `(ready-age limit ${verifyMaxReadyAgeSeconds} s) is reported that much later; the policy pack refuses it (policy ${POLICY_NAMES.stall})`);
        }
    }
    if (walg.retries.worstCase.seconds > POLICY_MINIMUMS.maxRetrySeconds) {
        r.warn(`${r.key("walg.retries")} lets backup-fetch retry one unreadable object for up to ${walg.retries.worstCase.seconds} s, more than ` +
            `${POLICY_MINIMUMS.maxRetrySeconds} s: the policy pack refuses it (policy ${POLICY_NAMES.retries})`);
    }
    if (spaces.drKeyPermission !== "read") {
        r.warn(`${r.key("spaces.drKeyPermission")} = ${show(spaces.drKeyPermission)}: DR and the drills get a key that can change the backups; ` +
            `allowed by the policy pack is read only: it refuses this (policy ${POLICY_NAMES.drKey})`);
    }
}
