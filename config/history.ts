// The check against this stack's history: the previous deployment (read through a StackReference to
// this very stack) says which data generation runs and which ran before, so that dataGeneration never
// goes backwards without a rollback block, skips or reuses a generation, or starts an empty database.

import * as pulumi from "@pulumi/pulumi";
import { generationNames } from "../lib/contract";
import { ConfigError, configKey as key, show } from "./errors";
import { deepFreeze, StackConfig } from "./schema";

/** What the previous deployment exported that the checks need. */
export interface PreviousDeployment {
    readonly dataGeneration?: number;
    /** Highest generation the stack ever ran (absent before rollbacks existed: then dataGeneration). */
    readonly dataGenerationMax?: number;
    readonly recovery?: { readonly generation?: number; readonly target?: string; readonly restoredFromGeneration?: number };
    readonly rollback?: { readonly fromGeneration?: number; readonly toGeneration?: number };
    /** single or ha (absent before the profiles existed: single). */
    readonly profile?: string;
    /** The migration into the ha cluster the deployment ran: its generation and cut-over time. */
    readonly migration?: { readonly generation?: number; readonly at?: string; readonly sourceGeneration?: number };
}

/**
 * Checks the config against this stack's history and returns it completed: dataGenerationMax (the
 * highest generation ever run, whose PVCs all stay declared) and the generation a recovery restores
 * from (the one that runs now, unless recovery.fromGeneration says otherwise). Errors when
 * dataGeneration would go backwards without a rollback block, skip or reuse a generation, start an
 * empty database, or roll back from/to a generation that does not run/never ran.
 */
export function checkAgainstPrevious(config: StackConfig, previous: PreviousDeployment | undefined): StackConfig {
    const problems: string[] = [];
    const prev = previous?.dataGeneration;
    const n = config.dataGeneration;
    const rec = config.recovery;
    const rb = config.rollback;
    let sourceGeneration = rec?.sourceGeneration;
    const mig = config.migration;
    let migrationSource = mig?.sourceGeneration;
    // Every generation up to this one ran and has history under its prefix (gaps are impossible: a
    // new generation is always the next after the highest).
    const prevMax = prev === undefined ? undefined : Math.max(prev, previous?.dataGenerationMax ?? 0);
    if (prev !== undefined && prevMax !== undefined) {
        const used = `generations 0..${prevMax} have run and hold history`;
        const rolledBack = previous?.rollback;
        // The block left in place after the rollback it did: nothing changes (same PVC, prefix, API patches).
        const rollbackDone = n === prev && rolledBack?.fromGeneration === rb?.fromGeneration && rolledBack?.toGeneration === n;
        if (rb && !rollbackDone) {
            if (n > prevMax) {
                problems.push(`${key("dataGeneration")} = ${n} never existed (${used}): a rollback returns to a generation that ran before ` +
                    `the one the previous deployment runs on (${prev}); allowed are 0..${prev - 1}`);
            } else if (n === prev) {
                problems.push(`${key("dataGeneration")} = ${n} is the generation the previous deployment already runs on: nothing to roll back to; ` +
                    `remove the ${key("rollback")} block, or set dataGeneration to the older generation to go back to (0..${prev - 1})`);
            } else if (rb.fromGeneration > prevMax) {
                problems.push(`${key("rollback.fromGeneration")} = ${rb.fromGeneration} never existed (${used}); the previous deployment runs on ` +
                    `generation ${prev}: allowed is ${prev}`);
            } else if (rb.fromGeneration !== prev) {
                problems.push(`${key("rollback.fromGeneration")} = ${rb.fromGeneration} is not the generation the previous deployment runs on (${prev}): ` +
                    `a rollback leaves the generation that runs; allowed is ${prev}`);
            }
        } else if (!rb && n < prev) {
            problems.push(`${key("dataGeneration")} = ${n} goes backwards: the previous deployment runs on generation ${prev}; allowed are ${prev} ` +
                `(stay) or ${prevMax + 1} (with a recovery block). To run on generation ${n}'s data again, add ` +
                `${key("rollback")}: {fromGeneration: ${prev}} (FAILURE_RUNBOOK.md, "Roll back to the old PVC")`);
        }
        if (n > prev && !rb) {
            if (n <= prevMax) {
                problems.push(`${key("dataGeneration")} = ${n} was used before (${used}; the previous deployment's dataGenerationMax is ${prevMax}): ` +
                    `a prefix that holds history is never written by another database; a recovery writes generation ${prevMax + 1}` +
                    (rec ? "" : `, and going back to an older generation is a ${key("rollback")} block`));
            } else if (n > prevMax + 1) {
                problems.push(`${key("dataGeneration")} = ${n} skips a generation: the previous deployment runs on generation ${prev}` +
                    (prevMax > prev ? ` and generations up to ${prevMax} were used` : "") + `; allowed are ${prev} or ${prevMax + 1}`);
            } else if (rec === undefined && mig === undefined) {
                problems.push(`${key("dataGeneration")} = ${n} advances from ${prev} without a ${key("recovery")} block: the database would start empty on a new volume; ` +
                    "add recovery: {target: …} to restore into it, or keep dataGeneration at " + prev);
            }
            if (rec) {
                if (rec.fromGeneration !== undefined && rec.fromGeneration > prevMax) {
                    problems.push(`${key("recovery.fromGeneration")} = ${rec.fromGeneration} never existed (${used}): allowed are 0..${prevMax}`);
                }
                // Unless told otherwise, restore what runs now (after a rollback that is not N−1).
                sourceGeneration = rec.fromGeneration ?? prev;
            }
            if (mig) {
                if (mig.fromGeneration !== undefined && mig.fromGeneration > prevMax) {
                    problems.push(`${key("migration.fromGeneration")} = ${mig.fromGeneration} never existed (${used}): allowed are 0..${prevMax}`);
                }
                migrationSource = mig.fromGeneration ?? prev;
            }
        }
        const done = previous?.recovery;
        if (rec && n === prev) {
            if (!done || done.generation !== n) {
                problems.push(`${key("recovery")} is set for generation ${n}, which the previous deployment already runs on and did not restore in this block: ` +
                    `a restore never writes into a generation that holds data; set ${key("dataGeneration")} to ${prevMax + 1} to restore into a new generation`);
            } else {
                if (done.target !== undefined && done.target !== rec.target) {
                    problems.push(`${key("recovery.target")} = ${show(rec.target)} changed after generation ${n} was restored (to ${show(done.target)}): ` +
                        `a finished restore is never redone in place; to restore again, set dataGeneration to ${prevMax + 1} with the new target`);
                }
                const from = done.restoredFromGeneration ?? n - 1;
                if (rec.fromGeneration !== undefined && rec.fromGeneration !== from) {
                    problems.push(`${key("recovery.fromGeneration")} = ${rec.fromGeneration} changed after generation ${n} was restored (from generation ${from}): ` +
                        `a finished restore is never redone in place; to restore again, set dataGeneration to ${prevMax + 1}`);
                }
                sourceGeneration = from;
            }
        }
    } else if (rb) {
        void pulumi.log.warn(`${key("rollback")} is set but there is no previous deployment to compare with: cannot check that generation ` +
            `${rb.fromGeneration} runs now; PVCs of generations 1..${rb.fromGeneration} are declared and ${key("dataGeneration")} = ${n} is used`);
    } else if (n >= 1 && rec === undefined && config.migration === undefined) {
        void pulumi.log.warn(`${key("dataGeneration")} = ${n} without a recovery block and no previous deployment to compare with: ` +
            `PVC ${generationNames.dataClaim(n)} must already hold the data, or the database starts empty`);
    }
    if (previous?.dataGeneration !== undefined) {
        problems.push(...checkProfileHistory(config, previous, migrationSource));
    } else if (mig) {
        void pulumi.log.warn(`${key("migration")} is set but there is no previous deployment to compare with: cannot check that generation ` +
            `${mig.sourceGeneration} is the single node's nor that ${key("migration.at")} is still ahead; the cut-over Job refuses a T that has passed`);
    }
    if (problems.length > 0) {
        throw new ConfigError(problems);
    }
    const migrated = previous?.migration;
    const completed = !!mig && migrated?.generation === mig.generation && migrated.at !== undefined && Date.parse(migrated.at) === Date.parse(mig.at);
    const migration = mig && {
        ...mig,
        completed,
        ...(migrationSource !== undefined && migrationSource !== mig.sourceGeneration
            ? { sourceGeneration: migrationSource, sourcePrefix: generationNames.prefix(config.spaces.prefix, migrationSource) } : {}),
    };
    const dataGenerationMax = Math.max(config.dataGenerationMax, prevMax ?? 0);
    const recovery = rec && sourceGeneration !== undefined && sourceGeneration !== rec.sourceGeneration
        ? { ...rec, sourceGeneration, sourcePrefix: generationNames.prefix(config.spaces.prefix, sourceGeneration) }
        : rec;
    return deepFreeze({ ...config, dataGenerationMax, recovery, migration });
}

/** Seconds the cut-over needs before T at the least: the API scaled down and the Job's pod started (preview, then up). */
export const MIGRATION_MIN_LEAD_SECONDS = 120;

/**
 * The profile against the previous deployment: single → ha only with a migration block (the cluster would
 * start empty while the single node holds the data), ha → single only with a rollback block (the
 * StatefulSet would come back on a generation that never ran on it); a migration block either starts
 * now (T still ahead, a new generation) or is the record of the one the previous deployment ran.
 */
function checkProfileHistory(config: StackConfig, previous: PreviousDeployment, sourceGeneration: number | undefined): string[] {
    const problems: string[] = [];
    const was = previous.profile === "ha" ? "ha" : "single";
    const mig = config.migration;
    if (was === "single" && config.profile === "ha" && !mig) {
        problems.push(`${key("profile")} = "ha" without a ${key("migration")} block while the previous deployment runs the single node: ` +
            "the operator's cluster would start empty; add migration: {at: <T a few minutes after the up starts>} and the next dataGeneration (docs/ha.md)");
    }
    if (was === "ha" && config.profile === "single" && !config.rollback) {
        problems.push(`${key("profile")} = "single" after the previous deployment ran the ha profile, without a ${key("rollback")} block: ` +
            `the single node would start on generation ${config.dataGeneration}'s volume, which the cluster never wrote; roll back to the single node's ` +
            "generation (docs/ha.md, \"Rolling back\")");
    }
    if (mig) {
        const done = previous.migration;
        const ran = done?.generation === mig.generation && done.at !== undefined && Date.parse(done.at) === Date.parse(mig.at);
        if (config.dataGeneration === previous.dataGeneration && !ran) {
            problems.push(`${key("migration")} is set for generation ${mig.generation}, which the previous deployment already runs on` +
                (done?.generation === mig.generation ? ` and migrated at ${show(done.at)}, not ${show(mig.at)}: a finished migration is never redone; keep its at` :
                    ": a migration writes a new generation; set dataGeneration to the next one"));
        } else if (!ran) {
            const lead = (Date.parse(mig.at) - config.now.getTime()) / 1000;
            if (lead < MIGRATION_MIN_LEAD_SECONDS) {
                problems.push(`${key("migration.at")} = ${show(mig.at)} is ${lead < 0 ? `${Math.round(-lead)} s in the past` : `only ${Math.round(lead)} s ahead`} ` +
                    `(now ${config.now.toISOString()}): the API must be down and the cut-over Job running before T; allowed is a time at least ` +
                    `${MIGRATION_MIN_LEAD_SECONDS} s after the up starts`);
            }
            if (was === "ha") {
                problems.push(`${key("migration")} is new but the previous deployment already runs the ha profile: a migration moves the single node into the cluster`);
            }
            if (sourceGeneration !== undefined && sourceGeneration !== previous.dataGeneration) {
                problems.push(`${key("migration.fromGeneration")} = ${sourceGeneration} is not the generation the single node runs on (${previous.dataGeneration}): ` +
                    "the cut-over runs against the running single node, so the clone must read its prefix");
            }
        }
    }
    return problems;
}

/** Reads the previous deployment's outputs through a StackReference to this very stack. */
export async function readPreviousDeployment(): Promise<PreviousDeployment> {
    const ref = new pulumi.StackReference("previous-deployment", {
        name: `${pulumi.getOrganization()}/${pulumi.getProject()}/${pulumi.getStack()}`,
    });
    const read = async (name: string): Promise<unknown> => {
        const d = await ref.getOutputDetails(name);
        return d.value ?? d.secretValue;
    };
    const number = (v: unknown): number | undefined => (typeof v === "number" ? v : undefined);
    const object = <T>(v: unknown): T | undefined => (v && typeof v === "object" ? v as T : undefined);
    return {
        dataGeneration: number(await read("dataGeneration")),
        dataGenerationMax: number(await read("dataGenerationMax")),
        recovery: object<PreviousDeployment["recovery"]>(await read("recovery")),
        rollback: object<PreviousDeployment["rollback"]>(await read("rollback")),
        profile: typeof (await read("profile")) === "string" ? (await read("profile")) as string : undefined,
        migration: object<PreviousDeployment["migration"]>(await read("migration")),
    };
}
