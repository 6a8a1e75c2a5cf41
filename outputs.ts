// What the stack exports for its users: where the database is, the bucket and every generation's
// prefix, the libsodium key (secret), the data generations, and what a recovery or rollback did.
// config/history.ts reads dataGeneration, dataGenerationMax, recovery and rollback back from the
// previous deployment.

import * as pulumi from "@pulumi/pulumi";
import type { BackupStorage, DisasterRecovery, HaCluster, Postgres, RecoveryHandover } from "./components";
import type { StackConfig } from "./config";

/** What the outputs are read from. */
export interface OutputSources {
    readonly config: StackConfig;
    readonly storage: BackupStorage;
    readonly database: Postgres;
    readonly dr: DisasterRecovery;
    readonly handover: RecoveryHandover;
    /** The ha profile's operator cluster (absent in the single profile). */
    readonly cluster?: HaCluster;
}

export function stackOutputs({ config, storage, database, dr, handover, cluster }: OutputSources) {
    const generation = config.dataGeneration;
    return {
        namespace: database.namespace,
        drNamespace: dr.namespace,
        serviceHost: database.serviceHost,
        port: 5432,
        // The API's Secret: the application role (LOGIN, no superuser), not the bootstrap superuser.
        appCredentialsSecret: database.appSecretName,
        // The superuser's Secret, for this project's jobs and an operator's break-glass access only.
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
        // single | ha, the operator's cluster and the migration into it (history.ts reads profile and migration back).
        profile: config.profile,
        haCluster: cluster?.clusterName ?? null,
        migration: cluster?.summary ?? null,
    };
}
