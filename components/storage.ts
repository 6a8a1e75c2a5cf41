// Backup storage: the private Spaces bucket, two keys scoped to it (read-write for the primary,
// backup and retention; read-only by default for DR and the drills) and the WAL-G libsodium key
// (client-side encryption: Spaces has no managed server-side encryption). With spaces.useExisting the
// bucket and keys already exist and come from secret config: no DigitalOcean resource at all.

import * as pulumi from "@pulumi/pulumi";
import * as digitalocean from "@pulumi/digitalocean";
import * as random from "@pulumi/random";
import { ANNOTATIONS, generationNames } from "../lib/contract";
import type { ExistingCredentials, KeyPermission } from "../config";

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

export interface BackupStorageArgs {
    /** Spaces region (e.g. fra1). */
    readonly region: string;
    /** Bucket name. */
    readonly bucket: string;
    /** Object prefix of generation 0. */
    readonly prefix: string;
    /** Grant of the key DR and the drills use. */
    readonly drKeyPermission: KeyPermission;
    /** Credentials of an existing bucket; when set, nothing is created at DigitalOcean. */
    readonly existing?: ExistingCredentials;
    /** Protect the bucket, the keys and the generated libsodium key. */
    readonly protect: boolean;
}

export class BackupStorage extends pulumi.ComponentResource {
    /** https://<region>.digitaloceanspaces.com */
    readonly endpoint: string;
    readonly region: string;
    /** Bucket name (an output: known once the bucket exists). */
    readonly bucket: pulumi.Output<string>;
    /** Read-write key: primary (archiving), backup, retention. */
    readonly readWrite: SpacesCredentials;
    /** Key of DR and the drills (read-only unless spaces.drKeyPermission says otherwise). */
    readonly dr: SpacesCredentials;
    /** WAL-G libsodium key, 64 hex digits (secret). */
    readonly libsodiumKey: pulumi.Output<string>;
    /** The bucket resource (absent with spaces.useExisting). */
    readonly bucketResource?: digitalocean.SpacesBucket;
    private readonly basePrefix: string;

    constructor(name: string, args: BackupStorageArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ternent-postgres:index:BackupStorage", name, {}, opts);
        this.region = args.region;
        this.endpoint = `https://${args.region}.digitaloceanspaces.com`;
        this.basePrefix = args.prefix;

        if (args.existing) {
            this.bucket = pulumi.output(args.bucket);
            this.readWrite = { accessKeyId: args.existing.readWriteKeyId, secretAccessKey: args.existing.readWriteSecret, permission: "readwrite" };
            this.dr = { accessKeyId: args.existing.readOnlyKeyId, secretAccessKey: args.existing.readOnlySecret, permission: args.drKeyPermission };
            this.libsodiumKey = args.existing.libsodiumKey;
        } else {
            const bucket = new digitalocean.SpacesBucket(`${name}-bucket`, {
                name: args.bucket,
                region: args.region,
                acl: "private",
                forceDestroy: false,
                // Only cleans up uploads WAL-G never completed; nothing that expires stored objects.
                lifecycleRules: [{ id: "abort-incomplete-multipart-uploads", enabled: true, abortIncompleteMultipartUploadDays: 2 }],
            }, { parent: this, protect: args.protect });
            this.bucketResource = bucket;
            this.bucket = bucket.name;
            const key = (role: string, permission: KeyPermission): SpacesCredentials => {
                const k = new digitalocean.SpacesKey(`${name}-${role}-key`, {
                    name: pulumi.interpolate`${bucket.name}-${role}`,
                    grants: [{ bucket: bucket.name, permission }],
                }, { parent: this, protect: args.protect });
                return { accessKeyId: pulumi.secret(k.accessKey), secretAccessKey: pulumi.secret(k.secretKey), permission };
            };
            this.readWrite = key("readwrite", "readwrite");
            this.dr = key("dr", args.drKeyPermission);
            // 64 hex digits = 32 random bytes. A RandomPassword over the hex alphabet rather than a
            // RandomId: a RandomId's resource id is the key itself in base64, and ids are never secret.
            const sodium = new random.RandomPassword(`${name}-walg-libsodium-key`, {
                length: 64,
                lower: false,
                upper: false,
                numeric: true,
                special: true,
                overrideSpecial: "abcdef",
            }, { parent: this, protect: args.protect });
            this.libsodiumKey = pulumi.secret(sodium.result);
        }

        this.registerOutputs({
            endpoint: this.endpoint,
            region: this.region,
            bucket: this.bucket,
            libsodiumKey: this.libsodiumKey,
        });
    }

    /** Object prefix of a data generation (generation 0: the configured prefix; n: <prefix>-gen<n>). */
    prefixFor(generation: number): string {
        return generationNames.prefix(this.basePrefix, generation);
    }

    /** WALG_S3_PREFIX of a data generation: s3://<bucket>/<prefix>[-gen<n>]. */
    walgPrefixFor(generation: number): pulumi.Output<string> {
        const prefix = this.prefixFor(generation);
        return this.bucket.apply((b) => `s3://${b}/${prefix}`);
    }

    /** WALG_S3_PREFIX of every generation 0..n (all kept in the bucket). */
    walgPrefixesUpTo(n: number): pulumi.Output<string[]> {
        return pulumi.all(Array.from({ length: n + 1 }, (_, g) => this.walgPrefixFor(g)));
    }

    /** Access to one generation's prefix with the read-write key or the DR key. */
    access(generation: number, key: "readWrite" | "dr"): WalgAccess {
        return {
            walgPrefix: this.walgPrefixFor(generation),
            endpoint: this.endpoint,
            region: this.region,
            credentials: key === "readWrite" ? this.readWrite : this.dr,
            libsodiumKey: this.libsodiumKey,
            generation,
        };
    }
}
