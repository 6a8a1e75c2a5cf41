// Every policy of the pack, in the order the README lists them. Tests and tools/policy-run.ts import
// this list; only ../index.ts builds the PolicyPack (which starts the analyzer server).
import { EnforcementLevel, Policies } from "@pulumi/policy";
import { archiveStallDetection } from "./archive-stall-detection";
import { archiveTimeout } from "./archive-timeout";
import { backupBucketLifecycle } from "./backup-bucket-lifecycle";
import { backupBucketPrivate } from "./backup-bucket-private";
import { backupJobColocated } from "./backup-job-colocated";
import { baseBackupDaily } from "./base-backup-daily";
import { containerImagesPinned } from "./container-images-pinned";
import { databaseHoldsNoKeys } from "./database-holds-no-keys";
import { dataVolumeRetained } from "./data-volume-retained";
import { drillScratchSufficient } from "./drill-scratch-sufficient";
import { drReadOnlyKey } from "./dr-read-only-key";
import { haArchiveTimeout } from "./ha-archive-timeout";
import { haBackupRetention } from "./ha-backup-retention";
import { haBackupsScheduled } from "./ha-backups-scheduled";
import { haClientSideEncryption } from "./ha-client-side-encryption";
import { haClusterProtected } from "./ha-cluster-protected";
import { haDrillsPresent } from "./ha-drills-present";
import { pitrDrillMonthly } from "./pitr-drill-monthly";
import { podSecurityRestricted } from "./pod-security-restricted";
import { postgresVolumeRetained } from "./postgres-volume-retained";
import { restoreDrillWeekly } from "./restore-drill-weekly";
import { retentionDailyBackups } from "./retention-daily-backups";
import { retentionJobScheduled } from "./retention-job-scheduled";
import { retentionPitrWindow } from "./retention-pitr-window";
import { retentionWeeklyBackups } from "./retention-weekly-backups";
import { statefulResourcesProtected } from "./stateful-resources-protected";
import { walArchivingEnabled } from "./wal-archiving-enabled";
import { walgClientSideEncryption } from "./walg-client-side-encryption";
import { walgPinned } from "./walg-pinned";
import { walgRetriesBounded } from "./walg-retries-bounded";

/** The pack itself (index.ts builds the PolicyPack from this; the offline runner reports with it). */
export const pack = {
    name: "ternent-postgres-recoverability",
    description: "Recoverability of the ternent-postgres stacks: retention, WAL archiving, encrypted and pinned WAL-G, drills with a read-only key, protected state, restricted pods.",
    enforcementLevel: "mandatory" as EnforcementLevel,
};

export const policies: Policies = [
    retentionDailyBackups,
    retentionWeeklyBackups,
    retentionPitrWindow,
    retentionJobScheduled,
    baseBackupDaily,
    walArchivingEnabled,
    archiveTimeout,
    archiveStallDetection,
    backupBucketPrivate,
    backupBucketLifecycle,
    walgClientSideEncryption,
    walgPinned,
    walgRetriesBounded,
    restoreDrillWeekly,
    pitrDrillMonthly,
    drReadOnlyKey,
    statefulResourcesProtected,
    postgresVolumeRetained,
    dataVolumeRetained,
    databaseHoldsNoKeys,
    drillScratchSufficient,
    podSecurityRestricted,
    containerImagesPinned,
    backupJobColocated,
    haBackupRetention,
    haArchiveTimeout,
    haBackupsScheduled,
    haDrillsPresent,
    haClientSideEncryption,
    haClusterProtected,
];

export {
    archiveStallDetection, archiveTimeout, backupBucketLifecycle, backupBucketPrivate, backupJobColocated, baseBackupDaily, containerImagesPinned,
    databaseHoldsNoKeys, dataVolumeRetained, drillScratchSufficient,
    drReadOnlyKey, haArchiveTimeout, haBackupRetention, haBackupsScheduled, haClientSideEncryption, haClusterProtected, haDrillsPresent,
    pitrDrillMonthly, podSecurityRestricted, postgresVolumeRetained, restoreDrillWeekly, retentionDailyBackups,
    retentionJobScheduled, retentionPitrWindow, retentionWeeklyBackups, statefulResourcesProtected, walArchivingEnabled,
    walgClientSideEncryption, walgPinned, walgRetriesBounded,
};
