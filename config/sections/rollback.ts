// ternent-postgres:rollback: go back to an older generation's PVC and prefix (dataGeneration names it,
// rollback.fromGeneration the one left); never together with a recovery block.

import { DEFAULTS } from "../defaults";
import { Reader } from "../reader";
import { RecoveryConfig } from "./recovery";

/** Going back to an older generation's PVC and prefix (docs/architecture.md, "Data generations and recovery"). */
export interface RollbackConfig {
    /** The generation the database leaves (the one the previous deployment runs on). */
    readonly fromGeneration: number;
    /** The generation it goes back to (= dataGeneration). */
    readonly toGeneration: number;
    readonly scaleApi: boolean;
    readonly apiReplicas: number;
}

export function readRollback(r: Reader, value: unknown, generation: number, recovery: RecoveryConfig | undefined): RollbackConfig | undefined {
    const o = r.object("rollback", value, ["fromGeneration", "scaleApi", "apiReplicas"]);
    if (o === undefined) {
        return undefined;
    }
    let fromGeneration = generation + 1;
    if (o.fromGeneration === undefined) {
        r.problems.push(`${r.key("rollback.fromGeneration")} is missing: it must name the generation the database leaves (the previous deployment's ` +
            `dataGeneration, \`pulumi stack output dataGeneration\`); ${r.key("dataGeneration")} names the one it goes back to`);
    } else {
        const before = r.problems.length;
        fromGeneration = r.integer("rollback.fromGeneration", o.fromGeneration, fromGeneration, 1, 1000, " (the generation the database leaves)");
        if (r.problems.length === before) {
            if (fromGeneration === generation) {
                r.problem("rollback.fromGeneration", o.fromGeneration, `equals ${r.key("dataGeneration")} = ${generation}: that is rolling back to the generation ` +
                    `the database leaves; dataGeneration names the older generation to go back to (0..${generation - 1})`);
            } else if (fromGeneration < generation) {
                r.problem("rollback.fromGeneration", o.fromGeneration, `is below ${r.key("dataGeneration")} = ${generation}: a rollback only goes back to an ` +
                    `older generation (dataGeneration 0..${fromGeneration - 1}); moving forward is a recovery into a new generation`);
            }
        }
    }
    if (recovery) {
        r.problems.push(`${r.key("rollback")} and ${r.key("recovery")} are both set: a rollback returns to a generation that already holds data, a recovery ` +
            "restores into a new one; do one per pulumi up (remove the recovery block of the last restore when rolling back)");
    }
    return {
        fromGeneration,
        toGeneration: generation,
        scaleApi: r.bool("rollback.scaleApi", o.scaleApi, DEFAULTS.rollback.scaleApi),
        apiReplicas: r.integer("rollback.apiReplicas", o.apiReplicas, DEFAULTS.rollback.apiReplicas, 0, 100),
    };
}
