// The Reader collects every problem and warning of one stack's config while the section readers
// (sections/) take it apart, so all problems are reported at once. Each problem names the full key,
// the value as given and what is allowed; the typed readers below return the default when the value
// is absent, and the default (plus a problem) when it is bad, so reading can go on.

import { CronError, maxIntervalSeconds, parseCron } from "../policy/lib/cron";
import { configKey, show } from "./errors";
import { LABEL_KEY, LABEL_VALUE, parseQuantity } from "./formats";

/** A structured value as parsed from the stack file. */
export type Obj = Record<string, unknown>;

/** Collects problems and warnings while reading one stack's config. */
export class Reader {
    readonly problems: string[] = [];
    readonly warnings: string[] = [];

    key(path: string): string {
        return configKey(path);
    }

    problem(path: string, value: unknown, text: string): void {
        this.problems.push(`${this.key(path)} = ${show(value)} ${text}`);
    }

    secretProblem(path: string, text: string): void {
        this.problems.push(`${this.key(path)} (secret, value not shown) ${text}`);
    }

    warn(text: string): void {
        this.warnings.push(text);
    }

    /** A structured value: must be an object whose fields are all known. */
    object(path: string, value: unknown, fields: readonly string[]): Obj | undefined {
        if (value === undefined) {
            return undefined;
        }
        if (value === null || typeof value !== "object" || Array.isArray(value)) {
            this.problem(path, value, `is not an object: allowed fields are ${fields.join(", ")}`);
            return undefined;
        }
        const obj = value as Obj;
        for (const field of Object.keys(obj)) {
            if (!fields.includes(field)) {
                this.problem(`${path}.${field}`, obj[field], `is not a known field of ${this.key(path)} (a typo?): allowed fields are ${fields.join(", ")}`);
            }
        }
        return obj;
    }

    string(path: string, value: unknown, fallback: string): string {
        if (value === undefined) {
            return fallback;
        }
        if (typeof value !== "string" || value.trim() === "") {
            this.problem(path, value, "is not allowed: must be a non-empty string");
            return fallback;
        }
        return value;
    }

    bool(path: string, value: unknown, fallback: boolean): boolean {
        if (value === undefined) {
            return fallback;
        }
        if (value === true || value === "true") {
            return true;
        }
        if (value === false || value === "false") {
            return false;
        }
        this.problem(path, value, "is not a boolean: allowed values are true and false");
        return fallback;
    }

    integer(path: string, value: unknown, fallback: number, min: number, max: number, what = ""): number {
        if (value === undefined) {
            return fallback;
        }
        const n = typeof value === "number" ? value : typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : NaN;
        if (!Number.isInteger(n) || n < min || n > max) {
            this.problem(path, value, `is not allowed: must be an integer from ${min} to ${max}${what}`);
            return fallback;
        }
        return n;
    }

    oneOf<T extends string>(path: string, value: unknown, fallback: T, allowed: readonly T[]): T {
        if (value === undefined) {
            return fallback;
        }
        const text = typeof value === "string" ? value.toLowerCase() : value;
        if (typeof text !== "string" || !(allowed as readonly string[]).includes(text)) {
            this.problem(path, value, `is not allowed: must be one of ${allowed.join(", ")}`);
            return fallback;
        }
        return text as T;
    }

    labels(path: string, value: unknown, fallback: Readonly<Record<string, string>>, nonEmpty: boolean): Readonly<Record<string, string>> {
        if (value === undefined) {
            return fallback;
        }
        if (value === null || typeof value !== "object" || Array.isArray(value)) {
            this.problem(path, value, "is not a label map: allowed is an object of label key → string value");
            return fallback;
        }
        const entries = Object.entries(value as Obj);
        if (nonEmpty && entries.length === 0) {
            this.problem(path, value, "is empty: it must select at least one label (an empty selector matches every pod)");
            return fallback;
        }
        let ok = true;
        for (const [k, v] of entries) {
            if (!LABEL_KEY.test(k) || typeof v !== "string" || !LABEL_VALUE.test(v)) {
                this.problem(`${path}.${k}`, v, "is not a valid Kubernetes label: keys are [prefix/]name, values up to 63 characters of [A-Za-z0-9-_.]");
                ok = false;
            }
        }
        return ok ? Object.fromEntries(entries) as Record<string, string> : fallback;
    }

    quantity(path: string, value: unknown, fallback: string, kind: "cpu" | "memory" | "storage"): string {
        const text = typeof value === "number" ? String(value) : value;
        const s = this.string(path, text, fallback);
        const q = parseQuantity(s);
        const example = kind === "cpu" ? "250m or 1" : kind === "memory" ? "512Mi" : "10Gi";
        if (q === undefined) {
            this.problem(path, value, `is not a Kubernetes quantity: allowed is a number with an optional unit suffix (e.g. ${example})`);
            return fallback;
        }
        if (kind === "storage" && q < 2 ** 30) {
            this.problem(path, value, "is not allowed: the volume must be at least 1Gi (DigitalOcean block storage minimum), e.g. 10Gi");
            return fallback;
        }
        if (q <= 0) {
            this.problem(path, value, `is not allowed: must be greater than zero (e.g. ${example})`);
            return fallback;
        }
        return s;
    }

    cron(path: string, value: unknown): string | undefined {
        if (typeof value !== "string") {
            this.problem(path, value, "is not a cron schedule: allowed is a 5-field cron expression in UTC (minute hour day-of-month month day-of-week)");
            return undefined;
        }
        try {
            const spec = parseCron(value);
            if (maxIntervalSeconds(spec) === Infinity) {
                this.problem(path, value, "never fires more than once (e.g. a date that does not exist): allowed is a 5-field cron expression in UTC that repeats");
                return undefined;
            }
        } catch (e) {
            if (e instanceof CronError) {
                this.problem(path, value, `is not a valid cron schedule: ${e.message}`);
                return undefined;
            }
            throw e;
        }
        return value;
    }
}
