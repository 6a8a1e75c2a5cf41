// ternent-postgres:migration: move the single node's database into the ha profile's operator cluster
// (docs/ha.md, "Migration"). The cluster is data generation N (dataGeneration) and is cloned by the
// operator from generation N−1's backups (or migration.fromGeneration's) up to the cut-over time `at`.
// Whether `at` may lie in the past (this migration already ran) is decided in history.ts.

import { parseRfc3339 } from "../formats";
import { Reader } from "../reader";
import type { Profile } from "./profile";
import { GenerationSource, readGenerationSource } from "./recovery";

/** The cluster is the generation written, cloned from the source generation (GenerationSource). */
export interface MigrationConfig extends GenerationSource {
    /** T as configured: RFC 3339 with a zone. */
    readonly at: string;
    /** T with an explicit +00:00 offset, the form the operator's CRD requires for clone.timestamp. */
    readonly cloneTimestamp: string;
    /** The previous deployment ran this migration (history.ts): the single node is scaled to 0, nothing is redone. */
    readonly completed: boolean;
}

/** The longest the cut-over Job waits for T: the API is down from the start of `pulumi up` until then. */
export const MIGRATION_MAX_LEAD_HOURS = 6;

export function readMigration(r: Reader, value: unknown, profile: Profile, generation: number, basePrefix: string, now: Date): MigrationConfig | undefined {
    const o = r.object("migration", value, ["at", "fromGeneration", "scaleApi", "apiReplicas"]);
    if (o === undefined) {
        return undefined;
    }
    if (profile !== "ha") {
        r.problem("migration", value, `is set but ${r.key("profile")} is not ha: a migration moves the single node into the ha profile's cluster (set profile: ha)`);
    }
    if (generation < 1) {
        r.problems.push(`${r.key("migration")} is set but ${r.key("dataGeneration")} = ${generation}: the new cluster archives to a new data generation; ` +
            "set dataGeneration to the next generation (the previous deployment's dataGeneration + 1)");
    }
    let at = "";
    let cloneTimestamp = "";
    if (o.at === undefined) {
        r.problems.push(`${r.key("migration.at")} is missing: the cut-over time T, an RFC 3339 time with a zone a few minutes after \`pulumi up\` starts (e.g. 2026-12-01T06:00:00Z)`);
    } else {
        const t = typeof o.at === "string" ? parseRfc3339(o.at) : undefined;
        if (t === undefined) {
            r.problem("migration.at", o.at, "is not an RFC 3339 time with a zone (e.g. 2026-12-01T06:00:00Z)");
        } else if (t.getTime() % 1000 !== 0) {
            r.problem("migration.at", o.at, "has fractions of a second: the operator's clone timestamp takes whole seconds");
        } else {
            at = o.at as string;
            cloneTimestamp = t.toISOString().replace(/\.000Z$/, "+00:00");
            if (t.getTime() > now.getTime() + MIGRATION_MAX_LEAD_HOURS * 3_600_000) {
                r.problem("migration.at", o.at, `is more than ${MIGRATION_MAX_LEAD_HOURS} h after now (${now.toISOString()}): the API is down from the start of ` +
                    "`pulumi up` until T; allowed is a time a few minutes after the up starts");
            }
        }
    }
    return {
        at,
        cloneTimestamp,
        ...readGenerationSource(r, "migration", o, generation, basePrefix, { what: "the single node's generation", why: "" }),
        completed: false,
    };
}
