// The defaults of the pack's config, by policy name and setting: each policy's configSchema takes its
// default from here, and the program imports them to warn about values the pack refuses (one source
// for every threshold). No dependencies, so the program can import it without @pulumi/policy.
// Never mutated.

export const POLICY_CONFIG_DEFAULTS = {
    "retention-daily-backups": { minDailyBackups: 7 },
    "retention-weekly-backups": { minWeeklyBackups: 4 },
    "retention-pitr-window": { minPitrDays: 7 },
    "base-backup-daily": { maxBaseBackupIntervalHours: 24 },
    "archive-timeout": { maxArchiveTimeoutSeconds: 60 },
    "archive-stall-detection": { maxVerifyIntervalArchiveTimeouts: 2 },
    "backup-bucket-lifecycle": { minHorizonDays: 35 },
    "walg-retries-bounded": { maxRetrySeconds: 900 },
    "restore-drill-weekly": { maxRestoreDrillIntervalDays: 7 },
    "pitr-drill-monthly": { maxPitrDrillIntervalDays: 31 },
    "stateful-resources-protected": {
        prodStacks: ["prod"],
        prodTag: "environment",
        prodTagValues: ["prod", "production"],
        transientComponents: ["restore"],
    },
};

export type PolicyWithConfig = keyof typeof POLICY_CONFIG_DEFAULTS;
