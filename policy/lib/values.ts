// Plain-data access to the property bags the analyzer hands the policies.
//
// The analyzer wraps `props` in a proxy that throws UnknownValueError as soon as a policy touches a
// value that is not known yet (preview of new resources), which would abort the whole policy. The
// policies here unwrap that proxy once and test for the engine's unknown sentinels themselves, so
// one unknown value only hides the check that needs it (see lib/checks.ts) and every other check
// still runs on the known values.

/** Marker for a value the engine does not know yet (it becomes known during `pulumi up`). */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");
export type Unknown = typeof UNKNOWN;

// The sentinels the engine serialises unknown values as (string, number, boolean, array, asset,
// archive, object), the same list @pulumi/policy's proxy checks.
const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9",
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
    "030794c1-ac77-496b-92df-f27374a8bd58",
    "e48ece36-62e2-4504-bad9-02848725956a",
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
]);

/** The sentinel the engine uses for an unknown string (used by the offline preview simulation). */
export const UNKNOWN_STRING_SENTINEL = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(value: unknown): boolean {
    return value === UNKNOWN || (typeof value === "string" && UNKNOWN_SENTINELS.has(value));
}

/** Strips @pulumi/policy's unknown-checking proxy (a no-op on plain objects). */
export function raw<T>(value: T): T {
    if (value !== null && typeof value === "object") {
        const v = value as unknown as Record<string, unknown>;
        if (v.__isSpecialProxy === true) {
            return v.__getSpecialProxyTarget as T;
        }
    }
    return value;
}

export type Obj = Record<string, unknown>;

/** Follows a path of keys/indices; UNKNOWN as soon as a step is unknown, undefined when absent. */
export function at(value: unknown, ...path: Array<string | number>): unknown {
    let cur = raw(value);
    for (const key of path) {
        if (isUnknown(cur)) {
            return UNKNOWN;
        }
        if (cur === null || cur === undefined || typeof cur !== "object") {
            return undefined;
        }
        cur = (cur as Record<string | number, unknown>)[key];
    }
    return isUnknown(cur) ? UNKNOWN : cur;
}

export function asObj(value: unknown): Obj | undefined {
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Obj) : undefined;
}

export function asArr(value: unknown): unknown[] {
    return Array.isArray(value) ? value : [];
}

export function asStr(value: unknown): string | undefined {
    return typeof value === "string" && !isUnknown(value) ? value : undefined;
}

/** Strings of an array (unknown elements dropped; use `at` first to see whether the array itself is unknown). */
export function strings(value: unknown): string[] {
    return asArr(value).filter((v): v is string => typeof v === "string" && !isUnknown(v));
}

/** Parses an integer the way the scripts do (digits only); undefined otherwise. */
export function intOf(value: unknown): number | undefined {
    if (typeof value === "number" && Number.isInteger(value)) {
        return value;
    }
    if (typeof value === "string" && /^\s*-?\d+\s*$/.test(value)) {
        return Number(value.trim());
    }
    return undefined;
}

/** Renders a value found in a resource for a message. */
export function show(value: unknown): string {
    if (value === UNKNOWN || isUnknown(value)) {
        return "(unknown until apply)";
    }
    if (value === undefined) {
        return "(not set)";
    }
    return JSON.stringify(value);
}
