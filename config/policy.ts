// What the program knows of the policy pack (policy/): the names of its policies and the thresholds it
// enforces by default. The thresholds come from the pack's own config defaults (policy/lib/defaults.ts),
// so the program warns exactly where the pack, unconfigured, refuses.

import { POLICY_CONFIG_DEFAULTS as PACK, PolicyWithConfig } from "../policy/lib/defaults";
import type { JobName } from "./sections/schedules";

const HOUR = 3600;
const DAY = 86_400;

/** The thresholds the policy pack enforces by default; below them the program warns. */
export const POLICY_MINIMUMS = {
    dailyBackups: PACK["retention-daily-backups"].minDailyBackups,
    weeklyBackups: PACK["retention-weekly-backups"].minWeeklyBackups,
    pitrDays: PACK["retention-pitr-window"].minPitrDays,
    maxArchiveTimeoutSeconds: PACK["archive-timeout"].maxArchiveTimeoutSeconds,
    /** Seconds: a base backup at least daily, a restore drill weekly, a PITR drill monthly (31 days). */
    backupEverySeconds: PACK["base-backup-daily"].maxBaseBackupIntervalHours * HOUR,
    restoreDrillEverySeconds: PACK["restore-drill-weekly"].maxRestoreDrillIntervalDays * DAY,
    pitrDrillEverySeconds: PACK["pitr-drill-monthly"].maxPitrDrillIntervalDays * DAY,
    /** verify's worst-case interval, in archive_timeouts (policy archive-stall-detection). */
    verifyIntervalArchiveTimeouts: PACK["archive-stall-detection"].maxVerifyIntervalArchiveTimeouts,
    /** Worst-case retry wait of backup-fetch on one unreadable object, seconds (policy walg-retries-bounded). */
    maxRetrySeconds: PACK["walg-retries-bounded"].maxRetrySeconds,
} as const;

/** A policy whose threshold the program reads from the pack's defaults: the type checks the name. */
const configured = <P extends PolicyWithConfig>(name: P): P => name;

/** Names of the policies a warning refers to (pack ternent-postgres-recoverability, policy/policies/). */
export const POLICY_NAMES = {
    retentionDaily: configured("retention-daily-backups"),
    retentionWeekly: configured("retention-weekly-backups"),
    pitrWindow: configured("retention-pitr-window"),
    backupSchedule: configured("base-backup-daily"),
    retentionJob: "retention-job-scheduled",
    archive: configured("archive-timeout"),
    restoreDrill: configured("restore-drill-weekly"),
    pitrDrill: configured("pitr-drill-monthly"),
    drKey: "dr-read-only-key",
    stall: configured("archive-stall-detection"),
    retries: configured("walg-retries-bounded"),
} as const;

/** The policy that refuses a stack without this job (the canary is not policy-mandated). */
export const JOB_POLICY: { readonly [J in JobName]?: string } = {
    backup: POLICY_NAMES.backupSchedule,
    retention: POLICY_NAMES.retentionJob,
    restoreDrill: POLICY_NAMES.restoreDrill,
    pitrDrill: POLICY_NAMES.pitrDrill,
    verify: POLICY_NAMES.stall,
};
