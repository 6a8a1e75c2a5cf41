// Shared helpers for the program tests: run index.ts under the mock engine with a stack config and
// look up what was registered. Mocks stand in for the Pulumi engine only.

import { CapturedResource, flattenStackConfig, ProgramRun, runProgram, RunOptions } from "../../tools/harness";

/** Provider flags every stack file sets (Secrets/ConfigMaps updated in place). */
export const K8S_FLAGS = { "kubernetes:enableSecretMutable": "true", "kubernetes:enableConfigMapMutable": "true" };

/** Fixed clock of the tests (the config validation reads it through TERNENT_NOW). */
export const NOW = "2025-06-15T12:00:00Z";

/**
 * The bundle's namespaces, which only the stack named prod gets by default (dev: backend-dev and
 * backend-dev-dr): the tests run stack dev in them unless they set namespaces themselves.
 */
export const BUNDLE_NAMESPACES = { namespaces: { primary: "backend", dr: "backend-dr" } };

/** Runs the program with `config` (keys without the project prefix, values as in a stack file). */
export async function runWith(config: Record<string, unknown> = {}, extra: Partial<RunOptions> = {}): Promise<ProgramRun> {
    const input = flattenStackConfig({ ...K8S_FLAGS, ...BUNDLE_NAMESPACES, ...config });
    return runProgram({ stack: "dev", now: NOW, ...input, ...extra });
}

/** Plain property bags as the engine records them (typed loosely on purpose: tests read them). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Any = Record<string, any>;
export type PodSpec = Any;
export type Container = Any;

interface Meta { name?: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> }

export function metaOf(r: CapturedResource): Meta {
    return (r.inputs.metadata ?? {}) as Meta;
}

/** Every Kubernetes object (not component, not provider). */
export function k8sObjects(run: ProgramRun): CapturedResource[] {
    return run.resources.filter((r) => r.custom && r.type.startsWith("kubernetes:"));
}

/** The one Kubernetes object of a kind (e.g. "CronJob", "DeploymentPatch") with that name/namespace. */
export function findK8s(run: ProgramRun, kind: string, name: string, namespace?: string): CapturedResource {
    const all = findAllK8s(run, kind, name, namespace);
    if (all.length !== 1) {
        throw new Error(`expected exactly one ${kind} ${namespace ?? "*"}/${name}, found ${all.length}`);
    }
    return all[0];
}

export function findAllK8s(run: ProgramRun, kind: string, name?: string, namespace?: string): CapturedResource[] {
    return k8sObjects(run).filter((r) => r.type.split(":").pop() === kind &&
        (name === undefined || metaOf(r).name === name) &&
        (namespace === undefined || metaOf(r).namespace === namespace));
}

export function byType(run: ProgramRun, type: string): CapturedResource[] {
    return run.resources.filter((r) => r.type === type);
}

/** The pod spec of a workload (StatefulSet, Job, CronJob). */
export function podSpecOf(r: CapturedResource): PodSpec {
    const spec = r.inputs.spec as Record<string, unknown>;
    if (r.type.endsWith(":CronJob")) {
        return ((spec.jobTemplate as { spec: { template: { spec: PodSpec } } }).spec.template.spec);
    }
    return (spec.template as { spec: PodSpec }).spec;
}

export function containersOf(r: CapturedResource): Container[] {
    const pod = podSpecOf(r);
    return [...((pod.initContainers ?? []) as Container[]), ...(pod.containers as Container[])];
}

/** Literal env of a container as a map (references are left out). */
export function envOf(c: Container): Record<string, string> {
    const out: Record<string, string> = {};
    for (const e of (c.env ?? []) as { name: string; value?: string }[]) {
        if (e.value !== undefined) {
            out[e.name] = e.value;
        }
    }
    return out;
}

/** The pod workloads of a run. */
export function workloads(run: ProgramRun): CapturedResource[] {
    return k8sObjects(run).filter((r) => /:(StatefulSet|Job|CronJob|Deployment)$/.test(r.type));
}

/** True when `a` depends on `b`, directly or through other resources. */
export function dependsOn(run: ProgramRun, a: CapturedResource, b: CapturedResource): boolean {
    const byUrn = new Map(run.resources.map((r) => [r.urn, r]));
    const seen = new Set<string>();
    const stack = [...a.dependencies];
    while (stack.length > 0) {
        const urn = stack.pop()!;
        if (urn === b.urn) {
            return true;
        }
        if (!seen.has(urn)) {
            seen.add(urn);
            stack.push(...(byUrn.get(urn)?.dependencies ?? []));
        }
    }
    return false;
}

const cache = new Map<string, Promise<ProgramRun>>();

/** The defaults (stack dev) in the bundle's namespaces, run once per test process. */
export function defaultRun(): Promise<ProgramRun> {
    if (!cache.has("defaults")) {
        cache.set("defaults", runWith());
    }
    return cache.get("defaults")!;
}

/** The repository's dev or prod stack, run once per test process. */
export function stackRun(stack: "dev" | "prod"): Promise<ProgramRun> {
    if (!cache.has(stack)) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const { runStack } = require("../../tools/harness") as typeof import("../../tools/harness");
        cache.set(stack, runStack(stack, { now: NOW }));
    }
    return cache.get(stack)!;
}
