// The defaults of the pack's config, by policy name and setting: each policy's configSchema takes its
// default from here, and the program imports them to warn about values the pack refuses (one source
// for every threshold). No dependencies, so the program can import it without @pulumi/policy.
// Never mutated.

// Shared by the single node's policies and the operator cluster's (ha-*): one number each.
const MAX_ARCHIVE_TIMEOUT_SECONDS = 60;
const MAX_BASE_BACKUP_INTERVAL_HOURS = 24;
const PROD = { prodStacks: ["prod"], prodTag: "environment", prodTagValues: ["prod", "production"] };

export const POLICY_CONFIG_DEFAULTS = {
    "retention-daily-backups": { minDailyBackups: 7 },
    "retention-weekly-backups": { minWeeklyBackups: 4 },
    "retention-pitr-window": { minPitrDays: 7 },
    "base-backup-daily": { maxBaseBackupIntervalHours: MAX_BASE_BACKUP_INTERVAL_HOURS },
    "archive-timeout": { maxArchiveTimeoutSeconds: MAX_ARCHIVE_TIMEOUT_SECONDS },
    "archive-stall-detection": { maxVerifyIntervalArchiveTimeouts: 2 },
    "backup-bucket-lifecycle": { minHorizonDays: 35 },
    "walg-retries-bounded": { maxRetrySeconds: 900 },
    "restore-drill-weekly": { maxRestoreDrillIntervalDays: 7 },
    "pitr-drill-monthly": { maxPitrDrillIntervalDays: 31 },
    "data-volume-retained": { retainingStorageClasses: ["do-block-storage-retain"], retainedClaims: [] as string[] },
    "drill-scratch-sufficient": { minScratchFactor: 1.5 },
    "stateful-resources-protected": {
        ...PROD,
        transientComponents: ["restore"],
    },
    "ha-archive-timeout": { maxArchiveTimeoutSeconds: MAX_ARCHIVE_TIMEOUT_SECONDS },
    "ha-backups-scheduled": { maxBaseBackupIntervalHours: MAX_BASE_BACKUP_INTERVAL_HOURS },
    "ha-cluster-protected": { ...PROD },
};

export type PolicyWithConfig = keyof typeof POLICY_CONFIG_DEFAULTS;
