// ternent-postgres:profile and ternent-postgres:ha: one PostgreSQL pod (single, the cheap profile) or a
// cluster of the Zalando postgres-operator with Patroni failover (ha; docs/ha.md). The operator is
// installed by the user; the program renders its postgresql resource.

import OPERATOR from "../../lib/postgres-operator.json";
import { DEFAULTS } from "../defaults";
import { show } from "../errors";
import { checkImage, DNS_LABEL } from "../formats";
import { Reader } from "../reader";

export const PROFILES = ["single", "ha"] as const;
export type Profile = typeof PROFILES[number];
export const REPLICATION_MODES = ["async", "sync"] as const;

export interface HaConfig {
    /** Pods of the cluster (numberOfInstances): one leader, the rest replicas. */
    readonly instances: number;
    /** async: Patroni's default; sync: synchronous_mode (a commit waits for one replica). */
    readonly replication: typeof REPLICATION_MODES[number];
    /** Namespace the operator runs in (its pods reach the cluster's 5432 and Patroni's 8008). */
    readonly operatorNamespace: string;
    /** metadata.name of the postgresql resource (the operator's Services, pods and Secrets derive from it). */
    readonly clusterName: string;
    /** spec.teamId (the operator requires one). */
    readonly teamId: string;
    /** The Spilo image (spec.dockerImage), pinned. */
    readonly image: string;
}

export function readProfile(r: Reader, value: unknown): Profile {
    return r.oneOf("profile", value, DEFAULTS.profile, PROFILES);
}

export function readHa(r: Reader, value: unknown, profile: Profile, singleName: string): HaConfig | undefined {
    const o = r.object("ha", value, ["instances", "replication", "operatorNamespace", "clusterName", "teamId", "image"]);
    if (profile !== "ha") {
        if (o !== undefined) r.problem("ha", value, `is set but ${r.key("profile")} is ${show(profile)}: the ha settings apply to profile: ha only (remove them, or set profile: ha)`);
        return undefined;
    }
    const d = DEFAULTS.ha;
    const name = (path: string, v: unknown, fallback: string): string => {
        const s = r.string(path, v, fallback);
        if (!DNS_LABEL.test(s)) r.problem(path, s, "is not a DNS label: lower-case letters, digits and '-', at most 63 characters");
        return s;
    };
    const clusterName = name("ha.clusterName", o?.clusterName, d.clusterName);
    if (clusterName === singleName) {
        r.problem("ha.clusterName", clusterName, `is the single node's name: the operator creates a Service of that name, which the program keeps for the API; choose another (default ${d.clusterName})`);
    }
    const image = r.string("ha.image", o?.image, d.image);
    const img = checkImage(image);
    if (img.error) r.problem("ha.image", image, img.error);
    else if (!image.split("@")[0].split("/").pop()!.split(":")[0].startsWith("spilo")) {
        r.warn(`${r.key("ha.image")} = ${show(image)} is not a Spilo image: the operator and docs/ha.md assume Spilo (default ${d.image})`);
    }
    const instances = r.integer("ha.instances", o?.instances, d.instances, 1, 9);
    if (instances < 2) {
        r.warn(`${r.key("ha.instances")} = ${instances}: one pod has no replica to fail over to, so a node drain still takes the database down (allowed, e.g. while moving)`);
    }
    return {
        instances,
        replication: r.oneOf("ha.replication", o?.replication, d.replication, REPLICATION_MODES),
        operatorNamespace: name("ha.operatorNamespace", o?.operatorNamespace, d.operatorNamespace),
        clusterName,
        teamId: name("ha.teamId", o?.teamId, d.teamId),
        image,
    };
}

/** The operator release the program renders for (lib/postgres-operator.json). */
export const OPERATOR_RELEASE = OPERATOR;

/** Rules across sections: what the ha profile does not do (yet), said at preview. */
export function checkProfile(r: Reader, profile: Profile, recovery: unknown, rollback: unknown): void {
    if (profile !== "ha") return;
    if (recovery !== undefined) {
        r.problems.push(`${r.key("recovery")} is set with ${r.key("profile")} = "ha": the program restores into the single node only; a point-in-time ` +
            "copy of the operator's cluster is a clone into a new cluster (docs/ha.md, \"The operator's own limits\"); remove the recovery block");
    }
    if (rollback !== undefined) {
        r.problems.push(`${r.key("rollback")} is set with ${r.key("profile")} = "ha": a rollback returns to the single node's volume; ` +
            "set profile: single with it (docs/ha.md, \"Rolling back\")");
    }
}

/**
 * The single node's volume in either profile: the generation its StatefulSet runs (or ran) on, and the
 * highest generation with a PVC. In the ha profile the cluster's own generation has no PVC (the operator
 * makes its volumes) and the StatefulSet stays on the generation the cluster was cloned from (0 for a
 * cluster that started empty), so the single node's data is kept.
 */
export function singleNodeVolumes(c: {
    readonly profile: Profile; readonly dataGeneration: number; readonly dataGenerationMax: number; readonly migration?: { readonly sourceGeneration: number };
}): { readonly generation: number; readonly max: number } {
    if (c.profile !== "ha") return { generation: c.dataGeneration, max: c.dataGenerationMax };
    const generation = c.migration?.sourceGeneration ?? 0;
    return { generation, max: c.dataGenerationMax === c.dataGeneration ? Math.max(generation, c.dataGeneration - 1) : c.dataGenerationMax };
}
