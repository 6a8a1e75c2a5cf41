// Reads postgresql.conf text the way PostgreSQL does for the settings this project cares about:
// `name = value` or `name value`, `#` comments, single-quoted values with '' escapes, last one wins.
// The pack's own reader; the program (quotePgConf) and tests import it from here. No dependencies.

export class PgConfError extends Error {}

/** Parses postgresql.conf text into a map of lower-case setting names to unquoted values. */
export function parsePgConf(text: string): Map<string, string> {
    const settings = new Map<string, string>();
    text.split(/\r?\n/).forEach((raw, index) => {
        const line = raw.trim();
        if (line === "" || line.startsWith("#")) {
            return;
        }
        const m = /^([A-Za-z_][A-Za-z0-9_.]*)\s*(?:=\s*|\s+)(.*)$/.exec(line);
        if (!m) {
            throw new PgConfError(`line ${index + 1}: cannot parse "${raw}"`);
        }
        const name = m[1].toLowerCase();
        let rest = m[2];
        let value: string;
        if (rest.startsWith("'")) {
            let out = "";
            let i = 1;
            for (; i < rest.length; i++) {
                const c = rest[i];
                if (c === "'" && rest[i + 1] === "'") {
                    out += "'";
                    i++;
                } else if (c === "\\" && i + 1 < rest.length) {
                    out += rest[i + 1];
                    i++;
                } else if (c === "'") {
                    break;
                } else {
                    out += c;
                }
            }
            if (i >= rest.length) {
                throw new PgConfError(`line ${index + 1}: unterminated quoted value for ${name}`);
            }
            rest = rest.slice(i + 1).trim();
            if (rest !== "" && !rest.startsWith("#")) {
                throw new PgConfError(`line ${index + 1}: unexpected text after the value of ${name}`);
            }
            value = out;
        } else {
            value = rest.replace(/\s*#.*$/, "").trim();
        }
        settings.set(name, value);
    });
    return settings;
}

/** Quotes a value for postgresql.conf. */
export function quotePgConf(value: string): string {
    return `'${value.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;
}

/**
 * Converts a PostgreSQL time setting (e.g. "60", "60s", "1min", "500ms") to seconds.
 * Bare numbers are in the setting's base unit, which is seconds for archive_timeout.
 */
export function pgDurationSeconds(value: string): number {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?\s*$/.exec(value);
    if (!m) {
        throw new PgConfError(`"${value}" is not a PostgreSQL duration`);
    }
    const n = Number(m[1]);
    const unit = m[2] ?? "s";
    const factor: Record<string, number> = { ms: 0.001, s: 1, min: 60, h: 3600, d: 86400 };
    return n * factor[unit];
}
