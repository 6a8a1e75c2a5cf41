// The WAL-G environment every consumer (the primary, backup, retention, the restore Job, the drills)
// gets: where (one generation's prefix with one key: a Secret) and how (tuning and the retry policy:
// a ConfigMap, or literal env). The one place both are written.

import * as pulumi from "@pulumi/pulumi";
import { ANNOTATIONS } from "../lib/contract";
import { retryEnv } from "../policy/lib/walg-retry";
import type { KeyPermission, WalgConfig } from "../config";

export interface SpacesCredentials {
    /** Access key id. */
    readonly accessKeyId: pulumi.Output<string>;
    /** Secret access key. */
    readonly secretAccessKey: pulumi.Output<string>;
    /** The key's grant on the bucket. */
    readonly permission: KeyPermission;
}

/** What a WAL-G consumer needs to reach one generation's prefix with one key. */
export interface WalgAccess {
    /** WALG_S3_PREFIX: s3://<bucket>/<prefix of the generation>. */
    readonly walgPrefix: pulumi.Output<string>;
    /** AWS_ENDPOINT. */
    readonly endpoint: string;
    /** AWS_REGION. */
    readonly region: string;
    /** AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY and the key's grant. */
    readonly credentials: SpacesCredentials;
    /** WALG_LIBSODIUM_KEY (hex). */
    readonly libsodiumKey: pulumi.Output<string>;
    /** The data generation the prefix belongs to (TERNENT_DATA_GENERATION). */
    readonly generation: number;
}

/** The WAL-G storage environment of a Secret (docs/architecture.md, "Environment contract"). */
export function walgSecretData(access: WalgAccess): Record<string, pulumi.Input<string>> {
    return {
        WALG_S3_PREFIX: access.walgPrefix,
        AWS_ENDPOINT: access.endpoint,
        AWS_REGION: access.region,
        AWS_ACCESS_KEY_ID: access.credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: access.credentials.secretAccessKey,
        WALG_LIBSODIUM_KEY: access.libsodiumKey,
        WALG_LIBSODIUM_KEY_TRANSFORM: "hex",
        // Travels with the prefix: archive-command.sh and backup.sh refuse to write a data directory of
        // another generation into it (the Secret can change before the pod that reads it does).
        TERNENT_DATA_GENERATION: String(access.generation),
    };
}

/** Annotations of a Secret built with walgSecretData: the key's grant and the (non-secret) prefix. */
export function walgSecretAnnotations(access: WalgAccess): Record<string, pulumi.Input<string>> {
    return {
        [ANNOTATIONS.keyPermission]: access.credentials.permission,
        [ANNOTATIONS.walgPrefix]: access.walgPrefix,
    };
}

/**
 * Non-secret WAL-G env: ConfigMap ternent-postgres-walg in both namespaces (the primary, backup and
 * retention jobs, the drills) and the restore Job's literal env. The one place every WAL-G consumer
 * gets its tuning and its retry policy (walg.retries; policy/lib/walg-retry.ts) from.
 */
export function walgTuning(walg: WalgConfig): Record<string, string> {
    return {
        AWS_S3_FORCE_PATH_STYLE: "false",
        WALG_COMPRESSION_METHOD: walg.compression,
        WALG_UPLOAD_CONCURRENCY: String(walg.uploadConcurrency),
        WALG_DOWNLOAD_CONCURRENCY: String(walg.downloadConcurrency),
        // restore.sh (drills, restore Job): restore_command through one wal-g daemon, or one process per file.
        TERNENT_RESTORE_WALG_DAEMON: String(walg.restoreDaemon),
        ...retryEnv(walg.retries.fileRetries, walg.retries.requestRetries),
        // The bound the retries stay under (restore.sh names it in its verdict).
        TERNENT_WALG_RETRY_MAX_SECONDS: String(walg.retries.maxSeconds),
    };
}
