// The whole stack as the stack policies read it: resources with plain props, Kubernetes objects by
// namespace/name, the Postgres StatefulSet, workloads by role, and the environment each container
// really gets (env, valueFrom, envFrom resolved against the ConfigMaps and Secrets of the stack).

import { PolicyResource, StackValidationArgs } from "@pulumi/policy";
import {
    containersOf, ContainerRef, fileSource, metaOf, Meta, podTemplateOf, POD_TYPES,
    roleOf, TYPES,
} from "./k8s";
import { asArr, asObj, asStr, at, isUnknown, Obj, raw, UNKNOWN, Unknown } from "./values";

export interface Res {
    readonly type: string;
    readonly urn: string;
    readonly name: string;
    /** Props without the analyzer's proxy (outputs, for stack policies). */
    readonly props: Obj;
    readonly protect: boolean;
    readonly source: PolicyResource;
}

export interface Workload {
    readonly res: Res;
    readonly meta: Meta;
    /** "namespace/name" for messages. */
    readonly id: string;
    readonly role: string | undefined;
    readonly podSpec: Obj | undefined;
    readonly podLabels: Record<string, string>;
    readonly containers: ContainerRef[];
    /** Set when the pod template (or a container list) is not known yet. */
    readonly unknownParts: string[];
}

export type EnvValue =
    | { readonly from: "value"; readonly value: string | Unknown }
    | {
        readonly from: "secret" | "configMap"; readonly name: string; readonly key: string;
        /** The value when the object is in the stack and known; UNKNOWN when not known yet. */
        readonly value: string | Unknown | undefined;
        /** The object in the stack, if the stack manages it. */
        readonly object: Res | undefined;
    }
    | { readonly from: "field" }
    | { readonly from: "unknown" };

export interface ResolvedEnv {
    readonly vars: ReadonlyMap<string, EnvValue>;
    /** Sources whose keys could not be listed (envFrom of an object outside the stack or not known yet). */
    readonly opaque: string[];
    /** The container's envFrom sources in order; `keys` undefined when they are not known (yet). */
    readonly envFromSources: ReadonlyArray<{ readonly id: string; readonly prefix: string; readonly keys?: ReadonlySet<string> }>;
    /** Secrets of the stack the container reads (envFrom or secretKeyRef), known data or not. */
    readonly secrets: Res[];
}

function decodeBase64(value: unknown): string | Unknown | undefined {
    if (isUnknown(value)) {
        return UNKNOWN;
    }
    return typeof value === "string" ? Buffer.from(value, "base64").toString("utf8") : undefined;
}

/** Key → value of a Secret (data decoded, stringData on top, as the API server merges them). */
export function secretEntries(props: unknown): { entries: Map<string, string | Unknown>; wholeUnknown: boolean } {
    const entries = new Map<string, string | Unknown>();
    let wholeUnknown = false;
    const data = at(props, "data");
    if (data === UNKNOWN) {
        wholeUnknown = true;
    }
    for (const [k, v] of Object.entries(asObj(data) ?? {})) {
        const decoded = decodeBase64(v);
        if (decoded !== undefined) {
            entries.set(k, decoded);
        }
    }
    const stringData = at(props, "stringData");
    if (stringData === UNKNOWN) {
        wholeUnknown = true;
    }
    for (const [k, v] of Object.entries(asObj(stringData) ?? {})) {
        if (isUnknown(v)) {
            entries.set(k, UNKNOWN);
        } else if (typeof v === "string") {
            entries.set(k, v);
        }
    }
    return { entries, wholeUnknown };
}

/**
 * The envFrom source a variable not set in `env` would come from: the last source that has it or
 * whose keys are unknown. Two containers whose last candidate is the same object read the same value.
 */
export function lastEnvFromCandidate(env: ResolvedEnv, name: string): string | undefined {
    for (let i = env.envFromSources.length - 1; i >= 0; i--) {
        const src = env.envFromSources[i];
        if (src.keys === undefined ? name.startsWith(src.prefix) : src.keys.has(name)) {
            return src.id;
        }
    }
    return undefined;
}

/** Key → value of a ConfigMap. */
export function configMapEntries(props: unknown): { entries: Map<string, string | Unknown>; wholeUnknown: boolean } {
    const entries = new Map<string, string | Unknown>();
    const data = at(props, "data");
    for (const [k, v] of Object.entries(asObj(data) ?? {})) {
        entries.set(k, isUnknown(v) ? UNKNOWN : String(v));
    }
    return { entries, wholeUnknown: data === UNKNOWN };
}

export class StackView {
    readonly resources: Res[];
    private readonly byUrn = new Map<string, Res>();
    private readonly k8sIndex = new Map<string, Res>();
    readonly stackName: string;

    constructor(readonly args: StackValidationArgs) {
        this.resources = args.resources.map((r) => {
            const res: Res = {
                type: r.type, urn: r.urn, name: r.name, props: (raw(r.props) ?? {}) as Obj,
                protect: Boolean(r.opts?.protect), source: r,
            };
            this.byUrn.set(r.urn, res);
            return res;
        });
        for (const r of this.resources) {
            if (r.type.startsWith("kubernetes:")) {
                const m = metaOf(r.props);
                if (m.name !== undefined) {
                    this.k8sIndex.set(`${r.type}|${m.namespace}|${m.name}`, r);
                }
            }
        }
        this.stackName = stackNameOf(this.resources[0]?.urn ?? "");
    }

    ofType(type: string): Res[] {
        return this.resources.filter((r) => r.type === type);
    }

    get(urn: string): Res | undefined {
        return this.byUrn.get(urn);
    }

    k8s(type: string, namespace: string, name: string): Res | undefined {
        return this.k8sIndex.get(`${type}|${namespace}|${name}`);
    }

    /** Direct dependencies of a resource, or those of one input property when given. */
    dependencies(res: Res, property?: string): Res[] {
        const list = property === undefined
            ? res.source.dependencies ?? []
            : res.source.propertyDependencies?.[property] ?? [];
        return list.map((d) => this.byUrn.get(d.urn)).filter((d): d is Res => d !== undefined);
    }

    /** Every workload (anything with a pod template) of the stack. */
    workloads(): Workload[] {
        return this.resources.filter((r) => POD_TYPES.includes(r.type)).map((r) => workloadOf(r));
    }

    /** The Postgres StatefulSets: component "database", else every StatefulSet. */
    postgres(): Workload[] {
        const sets = this.workloads().filter((w) => w.res.type === TYPES.StatefulSet);
        const db = sets.filter((w) => w.role === "database");
        return db.length > 0 ? db : sets;
    }

    /** The namespace the primary runs in (the Postgres StatefulSet's). */
    primaryNamespace(): string | undefined {
        return this.postgres()[0]?.meta.namespace;
    }

    /** Namespaces the stack creates, other than the primary's: the DR namespaces. */
    drNamespaces(): string[] {
        const primary = this.primaryNamespace();
        return this.ofType(TYPES.Namespace)
            .map((r) => metaOf(r.props).name)
            .filter((n): n is string => n !== undefined && n !== primary);
    }

    /** Workloads with a role (component label, else the script they run). */
    byRole(role: string): Workload[] {
        return this.workloads().filter((w) => w.role === role);
    }

    /** The environment a container really gets, as the kubelet assembles it. */
    resolveEnv(namespace: string, container: Obj): ResolvedEnv {
        const vars = new Map<string, EnvValue>();
        const opaque: string[] = [];
        const envFromSources: Array<{ id: string; prefix: string; keys?: Set<string> }> = [];
        const secrets: Res[] = [];
        const envFrom = at(container, "envFrom");
        if (envFrom === UNKNOWN) {
            opaque.push("envFrom (unknown)");
            envFromSources.push({ id: "(unknown envFrom)", prefix: "" });
        }
        for (const src of asArr(envFrom)) {
            const prefix = asStr(at(src, "prefix")) ?? "";
            for (const kind of ["secretRef", "configMapRef"] as const) {
                const ref = at(src, kind);
                if (ref === undefined) {
                    continue;
                }
                const name = asStr(at(ref, "name"));
                const source: { id: string; prefix: string; keys?: Set<string> } = { id: `${kind}:${namespace}/${name ?? "(unknown)"}|${prefix}`, prefix };
                envFromSources.push(source);
                const type = kind === "secretRef" ? TYPES.Secret : TYPES.ConfigMap;
                const from = kind === "secretRef" ? "secret" : "configMap";
                const object = name !== undefined ? this.k8s(type, namespace, name) : undefined;
                if (!object) {
                    opaque.push(`${from} ${name ?? "(unknown name)"}${name !== undefined ? " (not managed by this stack)" : ""}`);
                    // Its keys are unknown, so it may override anything earlier sources set.
                    vars.clear();
                    continue;
                }
                if (from === "secret") {
                    secrets.push(object);
                }
                const { entries, wholeUnknown } = from === "secret" ? secretEntries(object.props) : configMapEntries(object.props);
                if (wholeUnknown) {
                    opaque.push(`${from} ${name} (data unknown until apply)`);
                    vars.clear();
                } else {
                    source.keys = new Set([...entries.keys()].map((k) => prefix + k));
                }
                for (const [key, value] of entries) {
                    vars.set(prefix + key, { from, name: name!, key, value, object });
                }
            }
        }
        const env = at(container, "env");
        if (env === UNKNOWN) {
            opaque.push("env (unknown)");
        }
        for (const e of asArr(env)) {
            const name = asStr(at(e, "name"));
            if (name === undefined) {
                continue;
            }
            const value = at(e, "value");
            const valueFrom = asObj(at(e, "valueFrom"));
            if (value === UNKNOWN) {
                vars.set(name, { from: "value", value: UNKNOWN });
            } else if (valueFrom) {
                const sk = asObj(valueFrom.secretKeyRef);
                const ck = asObj(valueFrom.configMapKeyRef);
                const ref = sk ?? ck;
                if (ref) {
                    const from = sk ? "secret" : "configMap";
                    const refName = asStr(ref.name);
                    const key = asStr(ref.key);
                    if (refName === undefined || key === undefined) {
                        vars.set(name, { from: "unknown" });
                        continue;
                    }
                    const object = this.k8s(sk ? TYPES.Secret : TYPES.ConfigMap, namespace, refName);
                    if (sk && object) {
                        secrets.push(object);
                    }
                    let resolved: string | Unknown | undefined;
                    if (object) {
                        const { entries, wholeUnknown } = sk ? secretEntries(object.props) : configMapEntries(object.props);
                        resolved = entries.has(key) ? entries.get(key) : wholeUnknown ? UNKNOWN : undefined;
                    }
                    vars.set(name, { from, name: refName, key, value: resolved, object });
                } else {
                    vars.set(name, { from: "field" });
                }
            } else if (valueFrom === undefined && at(e, "valueFrom") === UNKNOWN) {
                vars.set(name, { from: "unknown" });
            } else {
                vars.set(name, { from: "value", value: value === undefined || value === null ? "" : String(value) });
            }
        }
        return { vars, opaque, envFromSources, secrets: [...new Map(secrets.map((x) => [x.urn, x])).values()] };
    }

    /** The text of a file a container sees at `path`, when it comes from a ConfigMap of the stack. */
    fileText(w: Workload, container: Obj, path: string): { text?: string; unknown?: boolean; problem?: string; source?: string } {
        const src = fileSource(w.podSpec, container, path);
        switch (src.kind) {
            case "unknown":
                return { unknown: true };
            case "notMounted":
                return { problem: `${path} is not on any volume mounted into the container` };
            case "missingKey":
                return { problem: `${path} maps to ${src.relative} of volume ${src.volume} (${src.name}), which has no such item` };
            case "other":
                return { problem: `${path} is on volume ${src.volume} (${src.volumeType}), not a ConfigMap the policy can read` };
            case "secret":
                return { problem: `${path} comes from Secret ${src.name}, not a ConfigMap the policy can read` };
            case "configMap": {
                const cm = this.k8s(TYPES.ConfigMap, w.meta.namespace, src.name);
                const where = `ConfigMap ${w.meta.namespace}/${src.name} key ${src.key}`;
                if (!cm) {
                    return { problem: `${path} comes from ${where}, which this stack does not manage` };
                }
                const { entries, wholeUnknown } = configMapEntries(cm.props);
                const text = entries.get(src.key);
                if (text === UNKNOWN || (text === undefined && wholeUnknown)) {
                    return { unknown: true, source: where };
                }
                if (text === undefined) {
                    return { problem: `${path} comes from ${where}, which has no such key`, source: where };
                }
                return { text, source: where };
            }
        }
    }
}

export function workloadOf(res: Res): Workload {
    const meta = metaOf(res.props);
    const template = podTemplateOf(res.type, res.props);
    const unknownParts: string[] = [];
    let podSpec: Obj | undefined;
    let podLabels: Record<string, string> = {};
    let containers: ContainerRef[] = [];
    if (template === UNKNOWN) {
        unknownParts.push("pod template");
    } else if (template) {
        const spec = at(template, "spec");
        if (spec === UNKNOWN) {
            unknownParts.push("pod spec");
        } else {
            podSpec = asObj(spec);
            const c = containersOf(podSpec);
            containers = c.containers;
            unknownParts.push(...c.unknownLists);
        }
        podLabels = metaOf(template).labels;
    }
    return {
        res, meta, id: `${meta.namespace}/${meta.name ?? res.name}`, role: roleOf(res.type, res.props),
        podSpec, podLabels, containers, unknownParts,
    };
}

/** The stack name in a URN (urn:pulumi:<stack>::<project>::…). */
export function stackNameOf(urn: string): string {
    const m = /^urn:pulumi:([^:]+)::/.exec(urn);
    return m ? m[1] : "";
}
