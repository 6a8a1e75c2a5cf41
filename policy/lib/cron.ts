// Five-field cron expressions as Kubernetes CronJobs read them (minute hour day-of-month month
// day-of-week, UTC), parsed strictly so that a typo fails at preview instead of at 02:00.
// The pack's own parser; the stack config validation imports it from here (the pack stands alone,
// the program may import from it, never the other way round). No dependencies.

export class CronError extends Error {}

export interface CronSpec {
    readonly expression: string;
    readonly minutes: ReadonlySet<number>;
    readonly hours: ReadonlySet<number>;
    readonly daysOfMonth: ReadonlySet<number>;
    readonly months: ReadonlySet<number>;
    readonly daysOfWeek: ReadonlySet<number>;
    /** True when day-of-month is restricted (not `*`); cron then ORs it with day-of-week. */
    readonly domRestricted: boolean;
    /** True when day-of-week is restricted (not `*`). */
    readonly dowRestricted: boolean;
}

interface Field {
    readonly name: string;
    readonly min: number;
    readonly max: number;
    readonly names?: readonly string[];
}

const FIELDS: readonly Field[] = [
    { name: "minute", min: 0, max: 59 },
    { name: "hour", min: 0, max: 23 },
    { name: "day of month", min: 1, max: 31 },
    { name: "month", min: 1, max: 12, names: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"] },
    { name: "day of week", min: 0, max: 7, names: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] },
];

const MACROS: Record<string, string> = {
    "@yearly": "0 0 1 1 *",
    "@annually": "0 0 1 1 *",
    "@monthly": "0 0 1 * *",
    "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *",
    "@midnight": "0 0 * * *",
    "@hourly": "0 * * * *",
};

function parseValue(field: Field, text: string): number {
    const lower = text.toLowerCase();
    if (field.names) {
        const idx = field.names.indexOf(lower);
        if (idx >= 0) {
            return field.name === "month" ? idx + 1 : idx;
        }
    }
    if (!/^\d+$/.test(text)) {
        throw new CronError(`"${text}" is not a number in the ${field.name} field`);
    }
    const value = Number(text);
    if (value < field.min || value > field.max) {
        throw new CronError(`${value} is outside ${field.min}-${field.max} in the ${field.name} field`);
    }
    return value;
}

function parseField(field: Field, text: string): Set<number> {
    const out = new Set<number>();
    for (const part of text.split(",")) {
        if (part === "") {
            throw new CronError(`empty list item in the ${field.name} field`);
        }
        const [range, stepText, extra] = part.split("/");
        if (extra !== undefined) {
            throw new CronError(`"${part}" has more than one "/" in the ${field.name} field`);
        }
        let step = 1;
        if (stepText !== undefined) {
            if (!/^\d+$/.test(stepText) || Number(stepText) < 1) {
                throw new CronError(`step "${stepText}" must be a positive integer in the ${field.name} field`);
            }
            step = Number(stepText);
        }
        let lo: number;
        let hi: number;
        if (range === "*") {
            lo = field.min;
            hi = field.max;
        } else if (range.includes("-")) {
            const [a, b, more] = range.split("-");
            if (more !== undefined || a === "" || b === "") {
                throw new CronError(`"${range}" is not a valid range in the ${field.name} field`);
            }
            lo = parseValue(field, a);
            hi = parseValue(field, b);
            if (lo > hi) {
                throw new CronError(`range "${range}" runs backwards in the ${field.name} field`);
            }
        } else {
            lo = parseValue(field, range);
            hi = stepText !== undefined ? field.max : lo;
        }
        for (let v = lo; v <= hi; v += step) {
            out.add(field.name === "day of week" && v === 7 ? 0 : v);
        }
    }
    return out;
}

/** Parses a five-field cron expression (or @daily-style macro); throws CronError naming the problem. */
export function parseCron(expression: string): CronSpec {
    if (typeof expression !== "string" || expression.trim() === "") {
        throw new CronError("the schedule is empty");
    }
    const trimmed = expression.trim();
    if (trimmed.startsWith("@")) {
        const macro = MACROS[trimmed.toLowerCase()];
        if (!macro) {
            throw new CronError(`unknown macro "${trimmed}" (allowed: ${Object.keys(MACROS).join(", ")})`);
        }
        return { ...parseCron(macro), expression };
    }
    if (/^(TZ|CRON_TZ)=/.test(trimmed)) {
        throw new CronError("time zones are not allowed in the schedule: CronJobs here run in UTC");
    }
    const parts = trimmed.split(/\s+/);
    if (parts.length !== 5) {
        throw new CronError(`expected 5 fields (minute hour day-of-month month day-of-week), got ${parts.length}`);
    }
    const sets = parts.map((p, i) => parseField(FIELDS[i], p));
    return {
        expression,
        minutes: sets[0],
        hours: sets[1],
        daysOfMonth: sets[2],
        months: sets[3],
        daysOfWeek: sets[4],
        domRestricted: parts[2] !== "*",
        dowRestricted: parts[4] !== "*",
    };
}

function dayMatches(spec: CronSpec, date: Date): boolean {
    if (!spec.months.has(date.getUTCMonth() + 1)) {
        return false;
    }
    const dom = spec.daysOfMonth.has(date.getUTCDate());
    const dow = spec.daysOfWeek.has(date.getUTCDay());
    if (spec.domRestricted && spec.dowRestricted) {
        return dom || dow;
    }
    if (spec.domRestricted) {
        return dom;
    }
    if (spec.dowRestricted) {
        return dow;
    }
    return true;
}

/** Every firing time (UTC, epoch ms) in [from, from + days). */
export function firings(spec: CronSpec, fromMs: number, days: number): number[] {
    const out: number[] = [];
    const start = new Date(fromMs);
    const dayStart = Date.UTC(start.getUTCFullYear(), start.getUTCMonth(), start.getUTCDate());
    const end = fromMs + days * 86_400_000;
    const hours = [...spec.hours].sort((a, b) => a - b);
    const minutes = [...spec.minutes].sort((a, b) => a - b);
    for (let day = dayStart; day < end; day += 86_400_000) {
        if (!dayMatches(spec, new Date(day))) {
            continue;
        }
        for (const h of hours) {
            for (const m of minutes) {
                const t = day + h * 3_600_000 + m * 60_000;
                if (t >= fromMs && t < end) {
                    out.push(t);
                }
            }
        }
    }
    return out;
}

// Four years plus a day contains every month length and leap-year combination, so the worst gap
// of any schedule that fires at least twice a year shows up inside it.
const HORIZON_DAYS = 4 * 366 + 1;
const EPOCH = Date.UTC(2024, 0, 1);

/**
 * The longest time, in seconds, between two consecutive firings (wrapping around the horizon), i.e.
 * the worst case a job waits. Infinity when the schedule never fires (e.g. "0 0 30 2 *").
 */
export function maxIntervalSeconds(spec: CronSpec): number {
    // Day by day instead of firing by firing: "* * * * *" fires 2.1 million times in the horizon, and
    // the config validation and the pack ask this for every schedule on every run. Within a matching
    // day the gaps are the same every day; between matching days the gap runs from one day's last
    // firing to the next matching day's first. Equal to the longest gap of firings() (tested).
    const intraDay = [...spec.hours].flatMap((h) => [...spec.minutes].map((m) => h * 3_600_000 + m * 60_000)).sort((a, b) => a - b);
    if (intraDay.length === 0) {
        return Infinity;
    }
    let intraWorst = 0;
    for (let i = 1; i < intraDay.length; i++) {
        intraWorst = Math.max(intraWorst, intraDay[i] - intraDay[i - 1]);
    }
    let worst = 0;
    let count = 0;
    let previousLast: number | undefined;
    const end = EPOCH + HORIZON_DAYS * 86_400_000;
    for (let day = EPOCH; day < end; day += 86_400_000) {
        if (!dayMatches(spec, new Date(day))) {
            continue;
        }
        if (previousLast !== undefined) {
            worst = Math.max(worst, day + intraDay[0] - previousLast);
        }
        previousLast = day + intraDay[intraDay.length - 1];
        count += intraDay.length;
        worst = Math.max(worst, intraWorst);
    }
    if (count < 2) {
        return Infinity;
    }
    return worst / 1000;
}

/** The shortest time, in seconds, between two consecutive firings. Infinity when it fires at most once. */
export function minIntervalSeconds(spec: CronSpec): number {
    const times = firings(spec, EPOCH, 35);
    if (times.length < 2) {
        return Infinity;
    }
    let best = Infinity;
    for (let i = 1; i < times.length; i++) {
        best = Math.min(best, times[i] - times[i - 1]);
    }
    return best / 1000;
}
