// WAL-G as the stack runs it: which containers use it (get the WAL-G storage Secret), the prefix the
// primary archives to, and which Spaces key a Secret's AWS_ACCESS_KEY_ID really is.

import { Checks } from "./checks";
import { ContainerRef, TYPES } from "./k8s";
import { postgresContainer } from "./postgres";
import { ResolvedEnv, Res, secretEntries, StackView, Workload } from "./stack";
import { asArr, asStr, at, isUnknown, UNKNOWN } from "./values";
import { envLookup, EnvLookup, sameSource, scriptOf, walgEnvFileSecret } from "./workloads";

export interface Consumer {
    readonly w: Workload;
    readonly c: ContainerRef;
    readonly env: ResolvedEnv;
    /**
     * False when the container only reads a Secret whose data is unknown until apply but which is
     * built from the backup storage (bucket or Spaces key): probably a WAL-G consumer.
     */
    readonly certain: boolean;
}

/** A Secret carrying WAL-G storage settings (it has WALG_S3_PREFIX). */
export function isWalgSecret(res: Res): boolean {
    return res.type === TYPES.Secret && secretEntries(res.props).entries.has("WALG_S3_PREFIX");
}

/** The SpacesKeys and buckets a Secret's data is built from (its data/stringData property dependencies). */
export function storageDependencies(view: StackView, secret: Res): Res[] {
    const deps = [...view.dependencies(secret, "stringData"), ...view.dependencies(secret, "data")]
        .filter((d) => d.type === TYPES.SpacesKey || d.type === TYPES.SpacesBucket);
    return [...new Map(deps.map((d) => [d.urn, d])).values()];
}

/** A Secret whose data is unknown until apply but is built from the backup storage. */
export function maybeWalgSecret(view: StackView, res: Res): boolean {
    return res.type === TYPES.Secret && secretEntries(res.props).wholeUnknown && storageDependencies(view, res).length > 0;
}

/** Every container (init containers included) that gets WAL-G storage settings. */
export function walgConsumers(view: StackView): Consumer[] {
    const out: Consumer[] = [];
    for (const w of view.workloads()) {
        for (const c of w.containers) {
            // The primary reads the storage settings from the file its init container writes from the Secret.
            const fileSecret = walgEnvFileSecret(w, c);
            const container = fileSecret
                ? { ...c.container, envFrom: [...(asArr(at(c.container, "envFrom"))), { secretRef: { name: fileSecret } }] }
                : c.container;
            const env = view.resolveEnv(w.meta.namespace, container);
            if (env.vars.has("WALG_S3_PREFIX") || env.secrets.some(isWalgSecret)) {
                out.push({ w, c, env, certain: true });
            } else if (env.secrets.some((s) => maybeWalgSecret(view, s))) {
                out.push({ w, c, env, certain: false });
            }
        }
    }
    return out;
}

/** WALG_S3_PREFIX of the primary's postgres container (where archive_command ships WAL). */
export function primaryPrefix(view: StackView): EnvLookup | undefined {
    const w = view.postgres()[0];
    const c = w ? postgresContainer(w) : undefined;
    return w && c ? envLookup(view, w, c, "WALG_S3_PREFIX") : undefined;
}

export type PrefixMatch =
    | { readonly kind: "same" }
    | { readonly kind: "differs"; readonly primary: string }
    | { readonly kind: "missing" }
    | { readonly kind: "unknown"; readonly where: string };

/**
 * Whether a job's WALG_S3_PREFIX is the primary's: equal values, or the same source (same Secret
 * key or envFrom list), which holds even while the value is unknown during preview.
 */
export function matchPrimaryPrefix(prefix: EnvLookup, primary: EnvLookup | undefined): PrefixMatch {
    if (prefix.kind === "missing") {
        return { kind: "missing" };
    }
    if (!primary || primary.kind === "missing" || sameSource(prefix, primary)) {
        return { kind: "same" };
    }
    if (prefix.kind === "value" && primary.kind === "value") {
        return prefix.value === primary.value ? { kind: "same" } : { kind: "differs", primary: primary.value };
    }
    return { kind: "unknown", where: prefix.kind === "unknown" ? prefix.where : primary.where };
}

/** Splits s3://bucket/prefix into bucket and key prefix (no leading/trailing slash). */
export function parseS3Prefix(value: string): { bucket: string; prefix: string } | undefined {
    const m = /^s3:\/\/([^/]+)\/?(.*)$/.exec(value.trim());
    return m ? { bucket: m[1], prefix: m[2].replace(/^\/+|\/+$/g, "") } : undefined;
}

export type KeyLink =
    | { readonly kind: "spacesKey"; readonly key: Res; readonly how: string }
    | { readonly kind: "external"; readonly value: string }
    | { readonly kind: "ambiguous"; readonly keys: Res[] }
    | { readonly kind: "unknown"; readonly why: string }
    | { readonly kind: "missing" };

/**
 * Which SpacesKey a Secret's AWS_ACCESS_KEY_ID is: by value when the key's accessKey output is known,
 * else through the Secret's dependencies (propertyDependencies of data/stringData, then all).
 */
export function accessKeyOf(view: StackView, secret: Res): KeyLink {
    const { entries, wholeUnknown } = secretEntries(secret.props);
    const value = entries.get("AWS_ACCESS_KEY_ID");
    if (value === undefined && !wholeUnknown) {
        return { kind: "missing" };
    }
    const keys = view.ofType(TYPES.SpacesKey);
    if (typeof value === "string") {
        const match = keys.find((k) => asStr(at(k.props, "accessKey")) === value);
        if (match) {
            return { kind: "spacesKey", key: match, how: "its accessKey equals AWS_ACCESS_KEY_ID" };
        }
        if (keys.every((k) => typeof at(k.props, "accessKey") === "string" && !isUnknown(at(k.props, "accessKey")))) {
            return { kind: "external", value };
        }
    }
    let linked = [...view.dependencies(secret, "stringData"), ...view.dependencies(secret, "data")]
        .filter((d) => d.type === TYPES.SpacesKey);
    let how = "the Secret's data depends on it";
    if (linked.length === 0) {
        linked = view.dependencies(secret).filter((d) => d.type === TYPES.SpacesKey);
        how = "the Secret depends on it";
    }
    const unique = [...new Map(linked.map((k) => [k.urn, k])).values()];
    if (unique.length === 1) {
        return { kind: "spacesKey", key: unique[0], how };
    }
    if (unique.length > 1) {
        return { kind: "ambiguous", keys: unique };
    }
    if (value === UNKNOWN || wholeUnknown) {
        return { kind: "unknown", why: "AWS_ACCESS_KEY_ID is unknown until apply and the Secret depends on no SpacesKey" };
    }
    return { kind: "external", value: value as string };
}

/** The grants of a SpacesKey: [{bucket, permission}] (UNKNOWN entries skipped, flagged). */
export function grantsOf(key: Res): { grants: Array<{ bucket?: string; permission?: string }>; unknown: boolean } {
    const g = at(key.props, "grants");
    if (g === UNKNOWN) {
        return { grants: [], unknown: true };
    }
    let unknown = false;
    const grants = asArr(g).map((x) => {
        const bucket = at(x, "bucket");
        const permission = at(x, "permission");
        if (bucket === UNKNOWN || permission === UNKNOWN) {
            unknown = true;
        }
        return { bucket: asStr(bucket), permission: asStr(permission) };
    });
    return { grants, unknown };
}

/**
 * A job container of the primary's namespace runs `script` from the scripts ConfigMap and works on
 * the prefix the primary archives to. `missing`/`differs` finish the violation messages.
 */
export function checkJobScriptAndPrefix(
    checks: Checks, view: StackView, w: Workload, c: ContainerRef, primary: EnvLookup | undefined,
    script: string, messages: { missing: string; differs: (primary: string) => string },
): void {
    const found = scriptOf(view, w, c, script);
    if (found.unknown) {
        checks.unknown(found.unknown);
    } else if (found.problem) {
        checks.violation(`${found.problem}.`, w.res.urn);
    }
    const prefix = envLookup(view, w, c, "WALG_S3_PREFIX");
    const match = matchPrimaryPrefix(prefix, primary);
    if (match.kind === "unknown") {
        checks.unknown(match.where);
    } else if (match.kind === "missing") {
        checks.violation(`${prefix.where}: ${messages.missing}`, w.res.urn);
    } else if (match.kind === "differs") {
        checks.violation(`${prefix.where}, but the primary archives${messages.differs(JSON.stringify(match.primary))}`, w.res.urn);
    }
}
