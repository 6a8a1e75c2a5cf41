// Every WAL-G consumer encrypts client-side (Spaces has no managed encryption at rest): it gets
// WALG_LIBSODIUM_KEY from a Secret with a valid WALG_LIBSODIUM_KEY_TRANSFORM, and all of them use
// the same key, so what one writes the others (DR, drills) can read.
import { createHash } from "crypto";
import { stackPolicy } from "../lib/checks";
import { objectName, TYPES } from "../lib/k8s";
import { Res, secretEntries, StackView } from "../lib/stack";
import { walgConsumers } from "../lib/walg";
import { asStr, at, intOf, UNKNOWN } from "../lib/values";
import { envLookup, stackFile, stackKey } from "../lib/workloads";

/** Why a key is unusable with a transform (never echoes the key). */
function keyProblem(key: string, transform: string): string | undefined {
    if (transform === "hex") {
        return /^[0-9a-fA-F]{64}$/.test(key) ? undefined : `is ${key.length} characters, not 64 hex digits (32 bytes)`;
    }
    const bytes = Buffer.from(key, "base64");
    const canonical = bytes.toString("base64").replace(/=+$/, "") === key.trim().replace(/=+$/, "");
    return canonical && bytes.length === 32 ? undefined : `does not decode from base64 to 32 bytes (${bytes.length})`;
}

const DEFAULT_SPECIAL = "!@#$%&*()-_=+[]{}<>:?";

/**
 * The generator of a Secret's key, when its data depends on exactly one RandomPassword/RandomId:
 * the provider draws the value from that spec, so the spec decides whether the key is valid (and it
 * is known during preview, when the value is not).
 */
function generatorOf(view: StackView, secret: Res): Res | undefined {
    const deps = [...view.dependencies(secret, "stringData"), ...view.dependencies(secret, "data")]
        .filter((d) => d.type === TYPES.RandomPassword || d.type === TYPES.RandomId);
    const unique = [...new Map(deps.map((d) => [d.urn, d])).values()];
    return unique.length === 1 ? unique[0] : undefined;
}

/** Why a generator cannot produce a key for the transform; undefined when it always can. */
function generatorProblem(gen: Res, transform: string): string | undefined {
    const p = gen.props;
    if (gen.type === TYPES.RandomId) {
        const bytes = intOf(at(p, "byteLength"));
        return bytes === 32 ? undefined : `RandomId ${gen.name}, whose byteLength is ${bytes ?? "(unset)"}, not 32`;
    }
    if (transform !== "hex") {
        return `RandomPassword ${gen.name}, which cannot produce base64 of exactly 32 bytes (use WALG_LIBSODIUM_KEY_TRANSFORM=hex)`;
    }
    const flag = (name: string) => at(p, name) !== false;
    let alphabet = "";
    if (flag("lower")) {
        alphabet += "abcdefghijklmnopqrstuvwxyz";
    }
    if (flag("upper")) {
        alphabet += "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    }
    if (flag("numeric") && at(p, "number") !== false) {
        alphabet += "0123456789";
    }
    if (flag("special")) {
        alphabet += asStr(at(p, "overrideSpecial")) ?? DEFAULT_SPECIAL;
    }
    const length = intOf(at(p, "length"));
    const nonHex = [...new Set(alphabet.replace(/[0-9a-fA-F]/g, ""))].join("");
    if (length !== 64 || nonHex !== "" || alphabet === "") {
        return `RandomPassword ${gen.name}, which draws ${length ?? "(unset)"} characters` +
            `${nonHex ? ` including non-hex ${JSON.stringify(nonHex.slice(0, 12))}` : ""} instead of 64 hex digits`;
    }
    return undefined;
}

export const walgClientSideEncryption = stackPolicy<object>({
    name: "walg-client-side-encryption",
    description: "Every container that gets the WAL-G storage settings (WALG_S3_PREFIX) also gets WALG_LIBSODIUM_KEY from a Secret, with WALG_LIBSODIUM_KEY_TRANSFORM hex (64 hex digits) or base64 (32 bytes), and all of them use the same key.",
    remediationSteps: "Keep WALG_LIBSODIUM_KEY and WALG_LIBSODIUM_KEY_TRANSFORM=hex in the ternent-postgres-backup Secrets (generated, or ternent-postgres:walgLibsodiumKey with spaces.useExisting).",
    severity: "critical",
    validate(args, checks) {
        const view = new StackView(args);
        const consumers = walgConsumers(view);
        if (consumers.length === 0) {
            args.notApplicable("no container gets WAL-G storage settings (WALG_S3_PREFIX); wal-archiving-enabled covers the primary");
        }
        const fix = `Fix: provide WALG_LIBSODIUM_KEY and WALG_LIBSODIUM_KEY_TRANSFORM=hex through the WAL-G Secret (generated, or ${stackKey(view, "walgLibsodiumKey")} in ${stackFile(view)} with spaces.useExisting).`;
        const keys = new Map<string, string[]>();
        for (const { w, c, env, certain } of consumers) {
            const who = `container ${c.name} of ${w.res.type.split(":").pop()} ${w.id}`;
            if (!certain) {
                const unknownData = env.secrets.filter((x) => secretEntries(x.props).wholeUnknown).map((x) => objectName(x.props, x.name));
                checks.unknown(`the WAL-G encryption settings of ${who} (Secret${unknownData.length > 1 ? "s" : ""} ${unknownData.join(", ")}: data unknown until apply)`);
                continue;
            }
            const key = env.vars.get("WALG_LIBSODIUM_KEY");
            if (!key) {
                if (env.opaque.length > 0) {
                    checks.unknown(`WALG_LIBSODIUM_KEY of ${who} (may come from ${env.opaque.join(", ")})`);
                } else {
                    checks.violation(`${who} gets WAL-G storage settings but no WALG_LIBSODIUM_KEY: it would write or expect ` +
                        `unencrypted backups in Spaces. ${fix}`, w.res.urn);
                }
                continue;
            }
            if (key.from !== "secret") {
                checks.violation(`${who} gets WALG_LIBSODIUM_KEY ${key.from === "value" ? "as a literal value in the pod spec" : `from a ${key.from}`}: ` +
                    `the key that decrypts every backup must come from a Secret. ${fix}`, w.res.urn);
                continue;
            }
            const transform = envLookup(view, w, c, "WALG_LIBSODIUM_KEY_TRANSFORM");
            if (transform.kind === "unknown") {
                checks.unknown(transform.where);
                continue;
            }
            const t = transform.kind === "value" ? transform.value.trim() : "none";
            if (t !== "hex" && t !== "base64") {
                checks.violation(`${who}: WALG_LIBSODIUM_KEY_TRANSFORM is ${transform.kind === "value" ? JSON.stringify(t) : "not set (WAL-G's default none)"}; ` +
                    `with none WAL-G uses the key text as raw bytes instead of decoding it. Use hex or base64. ${fix}`, w.res.urn);
                continue;
            }
            const gen = key.object ? generatorOf(view, key.object) : undefined;
            if (gen) {
                const problem = generatorProblem(gen, t);
                if (problem) {
                    checks.violation(`${who}: WALG_LIBSODIUM_KEY from Secret ${key.name} is generated by ${problem}; ` +
                        `WALG_LIBSODIUM_KEY_TRANSFORM=${t} needs a 32-byte key. ${fix}`, w.res.urn);
                } else {
                    keys.set(`generator:${gen.urn}`, [...(keys.get(`generator:${gen.urn}`) ?? []), who]);
                }
                continue;
            }
            if (key.value === UNKNOWN) {
                checks.unknown(`the WALG_LIBSODIUM_KEY value of ${who} (Secret ${key.name})`);
                continue;
            }
            if (key.value === undefined) {
                if (key.object) {
                    checks.violation(`${who} reads WALG_LIBSODIUM_KEY from Secret ${key.name} key ${key.key}, which does not exist. ${fix}`, w.res.urn);
                } else {
                    checks.unknown(`WALG_LIBSODIUM_KEY of ${who} (Secret ${key.name} is not managed by this stack)`);
                }
                continue;
            }
            const problem = keyProblem(key.value, t);
            if (problem) {
                checks.violation(`${who}: WALG_LIBSODIUM_KEY from Secret ${key.name} ${problem} as WALG_LIBSODIUM_KEY_TRANSFORM=${t} requires. ${fix}`, w.res.urn);
                continue;
            }
            const canonical = t === "hex" ? key.value.toLowerCase() : Buffer.from(key.value, "base64").toString("hex");
            const digest = `value:${createHash("sha256").update(canonical).digest("hex")}`;
            keys.set(digest, [...(keys.get(digest) ?? []), who]);
        }
        // Keys are compared like with like: generated keys by generator, given keys by value.
        const distinct = Math.max(...["generator:", "value:"].map((kind) => [...keys.keys()].filter((k) => k.startsWith(kind)).length));
        if (distinct > 1) {
            const groups = [...keys.values()].map((g, i) => `key ${i + 1}: ${g.join(", ")}`).join("; ");
            checks.violation(`WAL-G consumers use ${distinct} different libsodium keys (${groups}): backups written with one ` +
                "cannot be decrypted with another, so DR and the drills could not read them. Fix: give every WAL-G Secret the same key.");
        }
    },
});
