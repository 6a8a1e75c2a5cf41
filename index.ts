// ternent-postgres: single-node PostgreSQL 15 with WAL-G backups to Spaces, a DR namespace and
// restore/PITR drills. Reads the stack config once, builds the components in the order a reader
// thinks about them, and exports what users need. The logic lives in config/ and components/.

import { loadAndCheckStackConfig } from "./config";
import {
    Backups, BackupStorage, DisasterRecovery, Drills, Postgres, Recovery, RecoveryHandover, stackContext,
} from "./components";
import { stackOutputs } from "./outputs";

export = async () => {
    // Validates the config and compares dataGeneration with the previous deployment of this stack.
    const config = await loadAndCheckStackConfig();
    const context = stackContext(config);
    const { dataGeneration, dataGenerationMax, recovery: restore, rollback, postgres, schedules } = config;

    const storage = new BackupStorage("storage", { context, spaces: config.spaces, existing: config.existing });

    const recovery = new Recovery("recovery", {
        context, postgres, dataGeneration, dataGenerationMax, recovery: restore, rollback,
        source: restore && storage.access(restore.sourceGeneration, "dr"),
    });

    const database = new Postgres("postgres", {
        context, postgres, dataGeneration, storage: storage.access(dataGeneration, "readWrite"),
        dataClaimName: recovery.dataClaimName, password: config.postgresPassword,
        apiPodSelector: config.network.apiPodSelector, waitFor: recovery.gate,
    });

    const handover = new RecoveryHandover("handover", {
        context, recovery: restore, rollback, database,
        sourcePrefix: restore && storage.walgPrefixFor(restore.sourceGeneration),
        targetPrefix: storage.walgPrefixFor(dataGeneration),
    });

    new Backups("backups", {
        context, database, schedules, retention: config.retention,
        archiveTimeoutSeconds: postgres.archiveTimeoutSeconds,
        verifyMaxArchiveAgeSeconds: config.derived.verifyMaxArchiveAgeSeconds,
        verifyMaxReadyAgeSeconds: config.derived.verifyMaxReadyAgeSeconds,
    });

    const dr = new DisasterRecovery("dr", { context, storage: storage.access(dataGeneration, "dr") });

    new Drills("drills", {
        context, dr, database, postgres, schedules, drills: config.drills,
        canaryIntervalSeconds: config.derived.canaryIntervalSeconds,
    });

    return stackOutputs({ config, storage, database, dr, handover });
};
