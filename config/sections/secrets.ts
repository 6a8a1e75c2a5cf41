// Secret config: the credentials of an existing bucket (spaces.useExisting) and the database password
// the kubectl bundle initialised the database with (adopt). Read raw to be checked, then wrapped in
// pulumi.secret; a problem never shows a secret's value.

import * as pulumi from "@pulumi/pulumi";
import { SECRET_KEYS, SecretKey } from "../schema";
import { SHA256 } from "../formats";
import { Reader } from "../reader";

/** Bucket credentials from secret config (spaces.useExisting). */
export interface ExistingCredentials {
    readonly readWriteKeyId: pulumi.Output<string>;
    readonly readWriteSecret: pulumi.Output<string>;
    readonly readOnlyKeyId: pulumi.Output<string>;
    readonly readOnlySecret: pulumi.Output<string>;
    readonly libsodiumKey: pulumi.Output<string>;
}

export interface SecretsConfig {
    /** Set iff spaces.useExisting (and every credential is given). */
    readonly existing?: ExistingCredentials;
    /** postgresPassword, when set. */
    readonly postgresPassword?: pulumi.Output<string>;
}

/** The secret keys the existing bucket needs. */
const STORAGE_SECRETS: readonly SecretKey[] = ["spacesReadWriteKeyId", "spacesReadWriteSecret", "spacesReadOnlyKeyId", "spacesReadOnlySecret", "walgLibsodiumKey"];

/**
 * Reads the secret keys from `values` (raw strings); `secretKeys` are the ones the stack file holds
 * encrypted. A credential in plain text, a missing one, or one the program would ignore is a problem.
 */
export function readSecrets(r: Reader, values: Readonly<Record<string, string>>, secretKeys: readonly string[], useExisting: boolean): SecretsConfig {
    const secretValue = (key: SecretKey): string | undefined => {
        const value = values[key];
        if (value !== undefined && !secretKeys.includes(key)) {
            r.problems.push(`${r.key(key)} is set in plain text: it is a credential, set it with \`pulumi config set --secret ${key} …\``);
        }
        return value;
    };
    const secrets = Object.fromEntries(SECRET_KEYS.map((k) => [k, secretValue(k)])) as Record<SecretKey, string | undefined>;
    let existing: ExistingCredentials | undefined;
    if (useExisting) {
        const missing = STORAGE_SECRETS.filter((k) => secrets[k] === undefined || secrets[k] === "");
        for (const k of missing) {
            r.problems.push(`${r.key(k)} is missing: ${r.key("spaces.useExisting")} is true, so the existing bucket's credentials come from secret config ` +
                `(pulumi config set --secret ${k} …); required: ${STORAGE_SECRETS.join(", ")}`);
        }
        const sodium = secrets.walgLibsodiumKey;
        if (sodium !== undefined && sodium !== "" && !SHA256.test(sodium)) {
            r.secretProblem("walgLibsodiumKey", "is not a WAL-G libsodium key: allowed are exactly 64 lower-case hex digits (32 bytes, WALG_LIBSODIUM_KEY_TRANSFORM=hex)");
        }
        if (missing.length === 0) {
            existing = {
                readWriteKeyId: pulumi.secret(secrets.spacesReadWriteKeyId!),
                readWriteSecret: pulumi.secret(secrets.spacesReadWriteSecret!),
                readOnlyKeyId: pulumi.secret(secrets.spacesReadOnlyKeyId!),
                readOnlySecret: pulumi.secret(secrets.spacesReadOnlySecret!),
                libsodiumKey: pulumi.secret(secrets.walgLibsodiumKey!),
            };
        }
    } else {
        for (const k of STORAGE_SECRETS) {
            if (secrets[k] !== undefined) {
                r.problems.push(`${r.key(k)} is set but ${r.key("spaces.useExisting")} is false: the program creates the bucket, keys and ` +
                    "libsodium key itself and would ignore it; remove it, or set spaces.useExisting: true");
            }
        }
    }
    let postgresPassword: pulumi.Output<string> | undefined;
    if (secrets.postgresPassword !== undefined) {
        if (secrets.postgresPassword.length < 8) {
            r.secretProblem("postgresPassword", "is too short: allowed are passwords of at least 8 characters");
        }
        postgresPassword = pulumi.secret(secrets.postgresPassword);
    }
    return { existing, postgresPassword };
}
