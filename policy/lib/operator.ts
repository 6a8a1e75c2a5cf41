// The Zalando postgres-operator's postgresql resources of a stack (the program's ha profile) as the
// policies read them: the spec, each spec.env entry resolved against the stack's Secrets the way the
// operator hands them to the Spilo container, and comparisons of the WAL-G prefix it archives to with
// what the jobs and drills read. Spilo's behaviour behind the names (what it archives with, where, how
// it prunes backups) is in the program's docs/ha.md.

import { Checks } from "./checks";
import { ContainerRef, metaOf, TYPES } from "./k8s";
import { Res, StackView, Workload } from "./stack";
import { asObj, asStr, at, Obj, show, UNKNOWN } from "./values";
import { envLookup, EnvLookup, roleContainer, sameSource } from "./workloads";

/** The resource type of the operator's clusters (apiVersion acid.zalan.do/v1, kind postgresql). */
export const OPERATOR_CLUSTER_TYPE = "kubernetes:acid.zalan.do/v1:postgresql";

export interface OperatorCluster {
    readonly res: Res;
    /** "namespace/name" for messages. */
    readonly id: string;
    readonly namespace: string;
    /** spec, or undefined while unknown. */
    readonly spec: Obj | undefined;
}

export function operatorClusters(view: StackView): OperatorCluster[] {
    return view.ofType(OPERATOR_CLUSTER_TYPE).map((res) => {
        const meta = metaOf(res.props);
        return { res, id: `${meta.namespace}/${meta.name ?? res.name}`, namespace: meta.namespace, spec: asObj(at(res.props, "spec")) };
    });
}

/** The stack's operator clusters; a stack without one makes the policy not applicable. */
export function clustersOrNotApplicable(view: StackView): OperatorCluster[] {
    const clusters = operatorClusters(view);
    if (clusters.length === 0) view.args.notApplicable("the stack has no postgresql resource of the operator");
    return clusters;
}

/** One variable of the cluster's spec.env, resolved against the stack's Secrets and ConfigMaps. */
export function clusterEnv(view: StackView, cluster: OperatorCluster, name: string): EnvLookup {
    const env = at(cluster.spec, "env");
    if (env === UNKNOWN) {
        return { kind: "unknown", where: `spec.env of postgresql ${cluster.id}` };
    }
    const pseudo: Workload = {
        res: cluster.res, meta: metaOf(cluster.res.props), id: `postgresql ${cluster.id}`, role: "database", podSpec: undefined,
        podLabels: {}, containers: [], unknownParts: [],
    };
    const ref: ContainerRef = { container: { env }, name: "spilo", kind: "container", path: "spec.env" };
    return envLookup(view, pseudo, ref, name);
}

/** Notes an unknown cluster spec; true when the caller can go on. */
export function knownSpec(checks: Checks, cluster: OperatorCluster): cluster is OperatorCluster & { spec: Obj } {
    if (cluster.spec === undefined) {
        checks.unknown(`the spec of postgresql ${cluster.id}`);
        return false;
    }
    return true;
}

/**
 * The operator's clusters a policy checks, one at a time as the loop asks (clustersOrNotApplicable,
 * then knownSpec: a cluster whose spec is unknown during preview is noted and skipped).
 */
export function* knownClusters(view: StackView, checks: Checks): Generator<OperatorCluster & { spec: Obj }> {
    for (const cl of clustersOrNotApplicable(view)) {
        if (knownSpec(checks, cl)) yield cl;
    }
}

/** A literal value of spec.env, or what it is instead (for messages). */
export function literal(lookup: EnvLookup): { value?: string; describe: string } {
    if (lookup.kind === "value" && lookup.source.startsWith("value:")) return { value: lookup.value, describe: lookup.where };
    return { describe: lookup.where };
}

export type PrefixComparison = "same" | "differs" | "missing" | "unknown";

/**
 * Whether a job's container reads the WAL-G prefix the cluster archives to: the same Secret key, or
 * equal values (the DR namespace's Secret carries the same prefix with another key).
 */
export function comparePrefix(view: StackView, cluster: OperatorCluster, w: Workload): { result: PrefixComparison; job: EnvLookup; cluster: EnvLookup } {
    const own = clusterEnv(view, cluster, "WALG_S3_PREFIX");
    const c = roleContainer(w);
    const job: EnvLookup = c ? envLookup(view, w, c, "WALG_S3_PREFIX") : { kind: "missing", where: `no container in ${w.id}` };
    if (own.kind === "missing" || job.kind === "missing") return { result: "missing", job, cluster: own };
    if (sameSource(own, job)) return { result: "same", job, cluster: own };
    if (own.kind === "value" && job.kind === "value") return { result: own.value === job.value ? "same" : "differs", job, cluster: own };
    return { result: "unknown", job, cluster: own };
}

/** The CronJobs of a role in the stack. */
export function cronJobs(view: StackView, role: string): Workload[] {
    return view.byRole(role).filter((w) => w.res.type === TYPES.CronJob);
}

/** A whole number from a literal env value, or undefined. */
export function wholeNumber(value: string | undefined): number | undefined {
    return value !== undefined && /^\d+$/.test(value.trim()) ? Number(value) : undefined;
}

export { asStr, show };
