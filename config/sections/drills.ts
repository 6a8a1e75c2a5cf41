// ternent-postgres:drills: extra SQL both drills run on the restored database, and the PITR drill's target.

import { DEFAULTS } from "../defaults";
import { parseRfc3339 } from "../formats";
import { Reader } from "../reader";

export interface DrillsConfig {
    /** Extra SQL both drills run on the restored database (must succeed); empty: none. */
    readonly smokeSql: string;
    /** The PITR drill's target: `random` (inside the window the backups cover) or an RFC 3339 time. */
    readonly pitrTarget: string;
}

export function readDrills(r: Reader, value: unknown): DrillsConfig {
    const o = r.object("drills", value, ["smokeSql", "pitrTarget"]) ?? {};
    const smokeSql = r.string("drills.smokeSql", o.smokeSql, DEFAULTS.drills.smokeSql);
    const pitrTarget = r.string("drills.pitrTarget", o.pitrTarget, DEFAULTS.drills.pitrTarget);
    if (pitrTarget !== "random" && parseRfc3339(pitrTarget) === undefined) {
        r.problem("drills.pitrTarget", pitrTarget, "is not allowed: must be random or an RFC 3339 time with a zone (e.g. 2025-01-31T12:00:00Z)");
    }
    return { smokeSql, pitrTarget };
}
