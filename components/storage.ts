// Backup storage: the private Spaces bucket, two keys scoped to it (read-write for the primary,
// backup and retention; read-only by default for DR and the drills) and the WAL-G libsodium key
// (client-side encryption: Spaces has no managed server-side encryption). With spaces.useExisting the
// bucket and keys already exist and come from secret config: no DigitalOcean resource at all.

import * as pulumi from "@pulumi/pulumi";
import * as digitalocean from "@pulumi/digitalocean";
import * as random from "@pulumi/random";
import { generationNames } from "../lib/contract";
import type { ExistingCredentials, KeyPermission, SpacesConfig } from "../config";
import { StackContext } from "./context";
import { SpacesCredentials, WalgAccess } from "./walg";

export interface BackupStorageArgs {
    /** Values every component needs (protect: the bucket, the keys and the generated libsodium key). */
    readonly context: StackContext;
    /** Region, bucket, generation 0's prefix and the grant of the key DR and the drills use. */
    readonly spaces: SpacesConfig;
    /** Credentials of an existing bucket; when set, nothing is created at DigitalOcean. */
    readonly existing?: ExistingCredentials;
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
        const spaces = args.spaces;
        const protect = args.context.protect;
        this.region = spaces.region;
        this.endpoint = spaces.endpoint;
        this.basePrefix = spaces.prefix;

        if (args.existing) {
            this.bucket = pulumi.output(spaces.bucket);
            this.readWrite = { accessKeyId: args.existing.readWriteKeyId, secretAccessKey: args.existing.readWriteSecret, permission: "readwrite" };
            this.dr = { accessKeyId: args.existing.readOnlyKeyId, secretAccessKey: args.existing.readOnlySecret, permission: spaces.drKeyPermission };
            this.libsodiumKey = args.existing.libsodiumKey;
        } else {
            const bucket = new digitalocean.SpacesBucket(`${name}-bucket`, {
                name: spaces.bucket,
                region: spaces.region,
                acl: "private",
                forceDestroy: false,
                // Only cleans up uploads WAL-G never completed; nothing that expires stored objects.
                lifecycleRules: [{ id: "abort-incomplete-multipart-uploads", enabled: true, abortIncompleteMultipartUploadDays: 2 }],
            }, { parent: this, protect });
            this.bucketResource = bucket;
            this.bucket = bucket.name;
            const key = (role: string, permission: KeyPermission): SpacesCredentials => {
                const k = new digitalocean.SpacesKey(`${name}-${role}-key`, {
                    name: pulumi.interpolate`${bucket.name}-${role}`,
                    grants: [{ bucket: bucket.name, permission }],
                }, { parent: this, protect });
                return { accessKeyId: pulumi.secret(k.accessKey), secretAccessKey: pulumi.secret(k.secretKey), permission };
            };
            this.readWrite = key("readwrite", "readwrite");
            this.dr = key("dr", spaces.drKeyPermission);
            // 64 hex digits = 32 random bytes. A RandomPassword over the hex alphabet rather than a
            // RandomId: a RandomId's resource id is the key itself in base64, and ids are never secret.
            const sodium = new random.RandomPassword(`${name}-walg-libsodium-key`, {
                length: 64,
                lower: false,
                upper: false,
                numeric: true,
                special: true,
                overrideSpecial: "abcdef",
            }, { parent: this, protect });
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
