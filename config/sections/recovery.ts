// ternent-postgres:recovery: restore into a new data generation (dataGeneration) from latest, an RFC
// 3339 time inside the PITR window, or a named base backup (docs/architecture.md, "Data generations and
// recovery"). What the previous deployment ran is checked later, in history.ts.

import { generationNames } from "../../lib/contract";
import { DEFAULTS } from "../defaults";
import { BACKUP_NAME, parseRfc3339 } from "../formats";
import { Obj, Reader } from "../reader";

/**
 * A new data generation made from an older generation's history, with the API scaled down meanwhile:
 * a recovery restores it, a migration's cluster clones it (migration.ts).
 */
export interface GenerationSource {
    readonly scaleApi: boolean;
    readonly apiReplicas: number;
    /** Generation written (= dataGeneration). */
    readonly generation: number;
    /** <block>.fromGeneration as configured (a recovery can roll forward to another generation's history). */
    readonly fromGeneration?: number;
    /** Generation read: fromGeneration, else the one the previous deployment runs on (N−1 without history). */
    readonly sourceGeneration: number;
    /** Prefix of sourceGeneration. */
    readonly sourcePrefix: string;
}

export interface RecoveryConfig extends GenerationSource {
    /** As configured: latest, an RFC 3339 time, or a backup name. */
    readonly target: string;
    readonly targetKind: "latest" | "time" | "backup";
}

/**
 * The GenerationSource fields of a recovery or migration block. fromGeneration must be older than the
 * generation written: `what` names it in the allowed range, `why` (empty or ending in "; ") says why.
 */
export function readGenerationSource(r: Reader, block: "recovery" | "migration", o: Obj, generation: number, basePrefix: string,
    text: { what: string; why: string }): GenerationSource {
    // Default: the generation that runs now, which is N−1 until a rollback (checkAgainstPrevious knows).
    let fromGeneration: number | undefined;
    if (o.fromGeneration !== undefined) {
        fromGeneration = r.integer(`${block}.fromGeneration`, o.fromGeneration, Math.max(generation - 1, 0), 0, 1000, ` (${text.what})`);
        if (generation >= 1 && fromGeneration >= generation) {
            r.problem(`${block}.fromGeneration`, o.fromGeneration, `is not older than ${r.key("dataGeneration")} = ${generation}: ${text.why}` +
                `allowed are 0..${generation - 1}`);
        }
    }
    const sourceGeneration = fromGeneration ?? Math.max(generation - 1, 0);
    return {
        scaleApi: r.bool(`${block}.scaleApi`, o.scaleApi, DEFAULTS[block].scaleApi),
        apiReplicas: r.integer(`${block}.apiReplicas`, o.apiReplicas, DEFAULTS[block].apiReplicas, 0, 100),
        generation,
        fromGeneration,
        sourceGeneration,
        sourcePrefix: generationNames.prefix(basePrefix, sourceGeneration),
    };
}

export function readRecovery(r: Reader, value: unknown, generation: number, basePrefix: string, pitrDays: number, now: Date): RecoveryConfig | undefined {
    const o = r.object("recovery", value, ["target", "scaleApi", "apiReplicas", "fromGeneration"]);
    if (o === undefined) {
        return undefined;
    }
    if (generation < 1) {
        r.problems.push(`${r.key("recovery")} is set but ${r.key("dataGeneration")} = ${generation}: a restore writes a new data generation; ` +
            "set dataGeneration to the next generation (≥ 1; the previous deployment's dataGeneration + 1)");
    }
    let target = "latest";
    let targetKind: RecoveryConfig["targetKind"] = "latest";
    if (o.target === undefined) {
        r.problems.push(`${r.key("recovery.target")} is missing: allowed are latest, an RFC 3339 time with a zone (e.g. 2025-01-31T12:00:00Z) or a backup name base_<24 hex>`);
    } else if (typeof o.target !== "string") {
        r.problem("recovery.target", o.target, "is not allowed: must be latest, an RFC 3339 time with a zone or a backup name base_<24 hex>");
    } else if (o.target === "latest") {
        target = "latest";
    } else if (o.target.startsWith("base_")) {
        target = o.target;
        targetKind = "backup";
        if (!BACKUP_NAME.test(o.target)) {
            r.problem("recovery.target", o.target, "is not a WAL-G backup name: allowed is base_ followed by 24 upper-case hex digits (e.g. base_000000010000000000000002), as `wal-g backup-list` prints it");
        }
        // Whether that backup exists can only be checked with bucket access, which preview does not
        // have: restore.sh checks it before writing anything.
    } else {
        const t = parseRfc3339(o.target);
        target = o.target;
        targetKind = "time";
        if (t === undefined) {
            r.problem("recovery.target", o.target, "is not allowed: must be latest, a backup name base_<24 hex>, or an RFC 3339 time with a zone (e.g. 2025-01-31T12:00:00Z)");
        } else if (t.getTime() > now.getTime()) {
            r.problem("recovery.target", o.target, `is in the future (now is ${now.toISOString()}): allowed are times inside the PITR window, from ${new Date(now.getTime() - pitrDays * 86_400_000).toISOString()} to now`);
        } else if (t.getTime() < now.getTime() - pitrDays * 86_400_000) {
            r.problem("recovery.target", o.target, `is older than the PITR window (${r.key("retention.pitrDays")} = ${pitrDays}): allowed are times from ${new Date(now.getTime() - pitrDays * 86_400_000).toISOString()} to now (${now.toISOString()})`);
        }
    }
    return {
        target,
        targetKind,
        ...readGenerationSource(r, "recovery", o, generation, basePrefix, {
            what: "a generation that holds history",
            why: "a restore reads the history of an existing generation into a new one; ",
        }),
    };
}
