// Secrets as the harness sees them: Pulumi's secret envelope in the values the mock monitor receives
// (removed, with the paths remembered), and the stand-ins for `secure:` stack config, which cannot be
// decrypted offline.

import * as crypto from "crypto";

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** True for Pulumi's secret envelope ({"4dabf…": "1b47…", value}), as the mocks and `pulumi stack export` show it. */
export function isSecretEnvelope(v: unknown): v is Record<string, unknown> {
    return v !== null && typeof v === "object" && (v as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

/** Removes Pulumi secret envelopes, collecting the dotted paths where they were. */
export function unwrapSecrets(value: unknown, pathPrefix: string, paths: string[]): unknown {
    if (Array.isArray(value)) {
        return value.map((v, i) => unwrapSecrets(v, `${pathPrefix}[${i}]`, paths));
    }
    if (value !== null && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        if (isSecretEnvelope(obj)) {
            paths.push(pathPrefix);
            return unwrapSecrets(obj.value, pathPrefix, []);
        }
        return Object.fromEntries(
            Object.entries(obj).map(([k, v]) => [k, unwrapSecrets(v, pathPrefix ? `${pathPrefix}.${k}` : k, paths)]),
        );
    }
    return value;
}

/**
 * Placeholder used offline for `secure:` values of a stack file (they cannot be decrypted here).
 * Deterministic per key; a key whose format the program validates gets a value of that format
 * (the WAL-G libsodium key: 64 lower-case hex digits; the alert webhook: an https URL), every other one
 * is `offline-secret-<hex>`.
 */
export function securePlaceholder(key: string): string {
    const digest = crypto.createHash("sha256").update(`secure:${key}`).digest("hex");
    if (/(^|:)walgLibsodiumKey$/.test(key)) {
        return digest;
    }
    if (/(^|:)alerts\.webhookUrl$/.test(key)) {
        return `https://hooks.invalid/offline-secret-${digest.slice(0, 32)}`;
    }
    return `offline-secret-${digest.slice(0, 32)}`;
}
