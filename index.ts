// ternent-postgres: single-node PostgreSQL 15 with WAL-G backups to Spaces, a DR namespace and
// restore/PITR drills. Reads the stack config once, builds the components in the order a reader
// thinks about them, and exports what users need. The logic lives in config/ and components/.

import { loadAndCheckStackConfig, singleNodeVolumes } from "./config";
import {
    Backups, BackupStorage, DisasterRecovery, Drills, HaCluster, Postgres, Recovery, RecoveryHandover, singleNodeInHa, SPILO_ARCHIVE_COMMAND,
    stackContext,
} from "./components";
import { stackOutputs } from "./outputs";

export = async () => {
    // Validates the config and compares dataGeneration with the previous deployment of this stack.
    const config = await loadAndCheckStackConfig();
    const context = stackContext(config);
    const { dataGeneration, recovery: restore, rollback, postgres, schedules, ha, migration } = config;
    // The single node's volume: in the ha profile the one the operator's cluster was cloned from.
    const volumes = singleNodeVolumes(config);

    const storage = new BackupStorage("storage", { context, spaces: config.spaces, existing: config.existing });

    const recovery = new Recovery("recovery", {
        context, postgres, dataGeneration: volumes.generation, dataGenerationMax: volumes.max, recovery: restore, rollback,
        source: restore && storage.access(restore.sourceGeneration, "dr"),
    });

    const database = new Postgres("postgres", {
        context, postgres, dataGeneration: volumes.generation, storage: storage.access(dataGeneration, "readWrite"),
        dataClaimName: recovery.dataClaimName, password: config.postgresPassword,
        apiPodSelector: config.network.apiPodSelector, waitFor: recovery.gate, ha: ha && singleNodeInHa(ha, migration),
    });

    // The ha profile: the operator's cluster on the same Secrets (and the migration into it; docs/ha.md).
    const cluster = ha && new HaCluster("ha", {
        context, ha, postgres, database, storage: storage.access(dataGeneration, "readWrite"), backupSchedule: schedules.backup,
        apiPodSelector: config.network.apiPodSelector, migration, cloneSource: migration && storage.access(migration.sourceGeneration, "dr"),
    });

    const handover = new RecoveryHandover("handover", {
        context, recovery: restore, rollback, database,
        sourcePrefix: restore && storage.walgPrefixFor(restore.sourceGeneration),
        targetPrefix: storage.walgPrefixFor(dataGeneration),
    });

    new Backups("backups", {
        // In the ha profile Spilo takes the base backups (BACKUP_SCHEDULE), and verify expects its archive_command.
        context, database, schedules: ha ? { ...schedules, backup: undefined } : schedules, retention: config.retention,
        verifyArchiveCommand: ha && SPILO_ARCHIVE_COMMAND,
        archiveTimeoutSeconds: postgres.archiveTimeoutSeconds,
        verifyMaxArchiveAgeSeconds: config.derived.verifyMaxArchiveAgeSeconds,
        verifyMaxReadyAgeSeconds: config.derived.verifyMaxReadyAgeSeconds, alerts: config.alerts,
    });

    const dr = new DisasterRecovery("dr", { context, storage: storage.access(dataGeneration, "dr") });

    new Drills("drills", {
        context, dr, database, postgres, schedules, drills: config.drills, alerts: config.alerts,
        canaryIntervalSeconds: config.derived.canaryIntervalSeconds,
    });

    return stackOutputs({ config, storage, database, dr, handover, cluster });
};
