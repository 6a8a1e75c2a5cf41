// ternent-postgres: single-node PostgreSQL 15 with WAL-G backups to Spaces, a DR namespace and
// restore/PITR drills. Reads the stack config once, builds the components in the order a reader
// thinks about them, and exports what users need. The logic lives in components/.

import * as pulumi from "@pulumi/pulumi";
import { loadAndCheckStackConfig } from "./config";
import { loadScripts } from "./components/scripts";
import { BackupStorage } from "./components/storage";
import { Recovery } from "./components/recovery";
import { Postgres } from "./components/postgres";
import { RecoveryHandover } from "./components/recovery-handover";
import { Backups } from "./components/backups";
import { DisasterRecovery } from "./components/disaster-recovery";
import { Drills } from "./components/drills";

export = async () => {
    // Validates the config and compares dataGeneration with the previous deployment of this stack.
    const config = await loadAndCheckStackConfig();
    const scripts = loadScripts();
    const generation = config.dataGeneration;

    const storage = new BackupStorage("storage", {
        region: config.spaces.region,
        bucket: config.spaces.bucket,
        prefix: config.spaces.prefix,
        drKeyPermission: config.spaces.drKeyPermission,
        existing: config.existing,
        protect: config.protect,
    });

    const recovery = new Recovery("recovery", {
        stack: config.stack,
        namespace: config.namespaces.primary,
        dataGeneration: generation,
        dataGenerationMax: config.dataGenerationMax,
        recovery: config.recovery,
        rollback: config.rollback,
        postgres: config.postgres,
        walg: config.walg,
        source: config.recovery && storage.access(config.recovery.sourceGeneration, "dr"),
        scripts,
    });

    const database = new Postgres("postgres", {
        stack: config.stack,
        namespace: config.namespaces.primary,
        postgres: config.postgres,
        walg: config.walg,
        storage: storage.access(generation, "readWrite"),
        scripts,
        dataGeneration: generation,
        dataClaimName: recovery.dataClaimName,
        password: config.postgresPassword,
        apiPodSelector: config.network.apiPodSelector,
        protect: config.protect,
        adopt: config.adopt,
        waitFor: recovery.gate,
    });

    const handover = new RecoveryHandover("handover", {
        stack: config.stack,
        recovery: config.recovery,
        rollback: config.rollback,
        image: config.postgres.image,
        walg: config.walg,
        database,
        sourcePrefix: config.recovery && storage.walgPrefixFor(config.recovery.sourceGeneration),
        targetPrefix: storage.walgPrefixFor(generation),
    });

    new Backups("backups", {
        stack: config.stack,
        image: config.postgres.image,
        walg: config.walg,
        schedules: config.schedules,
        retention: config.retention,
        archiveTimeoutSeconds: config.postgres.archiveTimeoutSeconds,
        verifyMaxArchiveAgeSeconds: config.derived.verifyMaxArchiveAgeSeconds,
        verifyMaxReadyAgeSeconds: config.derived.verifyMaxReadyAgeSeconds,
        database,
        adopt: config.adopt,
    });

    const dr = new DisasterRecovery("dr", {
        stack: config.stack,
        namespace: config.namespaces.dr,
        storage: storage.access(generation, "dr"),
        walg: config.walg,
        scripts,
        protect: config.protect,
        adopt: config.adopt,
    });

    new Drills("drills", {
        stack: config.stack,
        namespace: dr.namespace,
        namespaceName: config.namespaces.dr,
        image: config.postgres.image,
        walg: config.walg,
        restoreDrillSchedule: config.schedules.restoreDrill,
        pitrDrillSchedule: config.schedules.pitrDrill,
        pgUser: config.postgres.user,
        pgDatabase: config.postgres.database,
        canaryIntervalSeconds: config.derived.canaryIntervalSeconds,
        archiveTimeoutSeconds: config.postgres.archiveTimeoutSeconds,
        smokeSql: config.drills.smokeSql,
        pitrTarget: config.drills.pitrTarget,
        workSize: config.postgres.storageSize,
        secretName: dr.secretName,
        scriptsConfigMapName: dr.scriptsConfigMapName,
        walgConfigMapName: dr.walgConfigMapName,
        after: [...dr.objects, ...database.ready],
        adopt: config.adopt,
    });

    return {
        namespace: database.namespace,
        drNamespace: dr.namespace,
        serviceHost: database.serviceHost,
        port: 5432,
        credentialsSecret: database.credentialsSecretName,
        bucket: storage.bucket,
        bucketEndpoint: storage.endpoint,
        walgPrefix: storage.walgPrefixFor(generation),
        walgPrefixes: storage.walgPrefixesUpTo(config.dataGenerationMax),
        // Without this key no backup can be decrypted: keep a copy outside the cluster.
        walgLibsodiumKey: pulumi.secret(storage.libsodiumKey),
        dataGeneration: generation,
        // The highest generation ever run: the next deployment keeps PVCs and prefixes up to it.
        dataGenerationMax: config.dataGenerationMax,
        dataClaim: database.dataClaimName,
        recovery: handover.summary ?? null,
        rollback: handover.rollbackSummary ?? null,
    };
};
