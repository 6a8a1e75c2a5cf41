// ternent-postgres:drills: extra SQL both drills run on the restored database, the PITR drill's target,
// the drills' scratch volume (size factor, storage class) and their longest run — with which the two
// drill schedules are checked never to overlap.

import { DRILL_STARTING_DEADLINE_SECONDS } from "../../lib/contract";
import { firings, parseCron } from "../../policy/lib/cron";
import { DEFAULTS } from "../defaults";
import { parseRfc3339 } from "../formats";
import { Reader } from "../reader";
import type { Schedules } from "./schedules";

export interface DrillsConfig {
    /** Extra SQL both drills run on the restored database (must succeed); empty: none. */
    readonly smokeSql: string;
    /** The PITR drill's target: `random` (inside the window the backups cover) or an RFC 3339 time. */
    readonly pitrTarget: string;
    /** Scratch volume of a drill = postgres.storageSize × this (the restored data directory plus replayed WAL). */
    readonly scratchFactor: number;
    /** StorageClass of the scratch volume (deleted with the drill's pod). */
    readonly scratchStorageClass: string;
    /** A drill is stopped after this many minutes (the Job's activeDeadlineSeconds). */
    readonly maxMinutes: number;
}

export function readDrills(r: Reader, value: unknown, schedules: Schedules, now: Date): DrillsConfig {
    const d = DEFAULTS.drills;
    const o = r.object("drills", value, ["smokeSql", "pitrTarget", "scratchFactor", "scratchStorageClass", "maxMinutes"]) ?? {};
    const smokeSql = r.string("drills.smokeSql", o.smokeSql, d.smokeSql);
    const pitrTarget = r.string("drills.pitrTarget", o.pitrTarget, d.pitrTarget);
    if (pitrTarget !== "random" && parseRfc3339(pitrTarget) === undefined) {
        r.problem("drills.pitrTarget", pitrTarget, "is not allowed: must be random or an RFC 3339 time with a zone (e.g. 2025-01-31T12:00:00Z)");
    }
    let scratchFactor: number = d.scratchFactor;
    if (o.scratchFactor !== undefined) {
        if (typeof o.scratchFactor !== "number" || !Number.isFinite(o.scratchFactor) || o.scratchFactor < 1 || o.scratchFactor > 10) {
            r.problem("drills.scratchFactor", o.scratchFactor, "is not allowed: a number from 1 to 10 (the scratch holds the whole restored data directory)");
        } else {
            scratchFactor = o.scratchFactor;
        }
    }
    const scratchStorageClass = r.string("drills.scratchStorageClass", o.scratchStorageClass, d.scratchStorageClass);
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(scratchStorageClass)) {
        r.problem("drills.scratchStorageClass", scratchStorageClass, "is not a valid StorageClass name (e.g. do-block-storage)");
    }
    const maxMinutes = r.integer("drills.maxMinutes", o.maxMinutes, d.maxMinutes, 10, 24 * 60, " minutes");
    checkNoOverlap(r, schedules, maxMinutes, now);
    return { smokeSql, pitrTarget, scratchFactor, scratchStorageClass, maxMinutes };
}

/**
 * The restore and PITR drills never run at once (each has its own scratch volume and CPU, and a node
 * can hold both only at twice the cost): a drill occupies [firing, firing + starting deadline + maxMinutes),
 * and no two such windows of different drills may intersect in the coming year.
 */
function checkNoOverlap(r: Reader, schedules: Schedules, maxMinutes: number, now: Date): void {
    if (!schedules.restoreDrill || !schedules.pitrDrill) {
        return;
    }
    let a: number[];
    let b: number[];
    try {
        a = firings(parseCron(schedules.restoreDrill), now.getTime(), 366);
        b = firings(parseCron(schedules.pitrDrill), now.getTime(), 366);
    } catch {
        return; // a malformed schedule is already a problem of its own
    }
    const window = (DRILL_STARTING_DEADLINE_SECONDS + maxMinutes * 60) * 1000;
    for (const tp of b) {
        const tr = a.find((t) => t < tp + window && tp < t + window);
        if (tr !== undefined) {
            r.problem("schedules.pitrDrill", schedules.pitrDrill,
                `can run at the same time as schedules.restoreDrill = "${schedules.restoreDrill}" (e.g. ${new Date(tr).toISOString()} and ` +
                `${new Date(tp).toISOString()}; a drill may start ${DRILL_STARTING_DEADLINE_SECONDS / 60} min late and run drills.maxMinutes = ${maxMinutes}): ` +
                "drills must never overlap; move one (e.g. pitrDrill \"0 8 1 * *\" after a 05:00 restore drill) or lower drills.maxMinutes");
            return;
        }
    }
}
