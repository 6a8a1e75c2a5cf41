// Kubernetes objects as the policies read them: metadata, pod templates, containers, command lines,
// volume mounts. Pure functions over plain property bags (see values.ts for unknowns).

import { asArr, asObj, asStr, at, isUnknown, Obj, strings, UNKNOWN, Unknown } from "./values";

export const TYPES = {
    StatefulSet: "kubernetes:apps/v1:StatefulSet",
    Deployment: "kubernetes:apps/v1:Deployment",
    DaemonSet: "kubernetes:apps/v1:DaemonSet",
    ReplicaSet: "kubernetes:apps/v1:ReplicaSet",
    Job: "kubernetes:batch/v1:Job",
    CronJob: "kubernetes:batch/v1:CronJob",
    Pod: "kubernetes:core/v1:Pod",
    Secret: "kubernetes:core/v1:Secret",
    ConfigMap: "kubernetes:core/v1:ConfigMap",
    Namespace: "kubernetes:core/v1:Namespace",
    PersistentVolumeClaim: "kubernetes:core/v1:PersistentVolumeClaim",
    NetworkPolicy: "kubernetes:networking.k8s.io/v1:NetworkPolicy",
    DeploymentPatch: "kubernetes:apps/v1:DeploymentPatch",
    SpacesBucket: "digitalocean:index/spacesBucket:SpacesBucket",
    SpacesBucketPolicy: "digitalocean:index/spacesBucketPolicy:SpacesBucketPolicy",
    SpacesBucketObject: "digitalocean:index/spacesBucketObject:SpacesBucketObject",
    SpacesKey: "digitalocean:index/spacesKey:SpacesKey",
    RandomPassword: "random:index/randomPassword:RandomPassword",
    RandomId: "random:index/randomId:RandomId",
} as const;

/** Resource types that carry a pod template, and where it is. */
const POD_TEMPLATE_PATHS: Record<string, string[]> = {
    [TYPES.StatefulSet]: ["spec", "template"],
    [TYPES.Deployment]: ["spec", "template"],
    [TYPES.DaemonSet]: ["spec", "template"],
    [TYPES.ReplicaSet]: ["spec", "template"],
    [TYPES.Job]: ["spec", "template"],
    [TYPES.CronJob]: ["spec", "jobTemplate", "spec", "template"],
    [TYPES.Pod]: [],
};

export const POD_TYPES: readonly string[] = Object.keys(POD_TEMPLATE_PATHS);

export function kindOf(type: string): string {
    return type.split(":").pop() ?? type;
}

export interface Meta {
    readonly name: string | undefined;
    /** metadata.namespace, "default" when absent (what the API server assigns). */
    readonly namespace: string;
    readonly labels: Record<string, string>;
}

export function metaOf(props: unknown): Meta {
    const labels: Record<string, string> = {};
    for (const [k, v] of Object.entries(asObj(at(props, "metadata", "labels")) ?? {})) {
        const s = asStr(v);
        if (s !== undefined) {
            labels[k] = s;
        }
    }
    return {
        name: asStr(at(props, "metadata", "name")),
        namespace: asStr(at(props, "metadata", "namespace")) ?? "default",
        labels,
    };
}

/** "namespace/name" (or the resource name when metadata.name is not known). */
export function objectName(props: unknown, fallback: string): string {
    const m = metaOf(props);
    return `${m.namespace}/${m.name ?? fallback}`;
}

/** The pod template ({metadata, spec}) of a workload; UNKNOWN when the engine does not know it yet. */
export function podTemplateOf(type: string, props: unknown): Obj | Unknown | undefined {
    const path = POD_TEMPLATE_PATHS[type];
    if (!path) {
        return undefined;
    }
    const t = at(props, ...path);
    if (t === UNKNOWN) {
        return UNKNOWN;
    }
    return asObj(t);
}

export interface ContainerRef {
    readonly container: Obj;
    readonly name: string;
    readonly kind: "container" | "initContainer" | "ephemeralContainer";
    /** Dotted path inside the pod spec, for messages. */
    readonly path: string;
}

/** Every container of a pod spec; `unknownLists` names lists the engine does not know yet. */
export function containersOf(podSpec: unknown): { containers: ContainerRef[]; unknownLists: string[] } {
    const containers: ContainerRef[] = [];
    const unknownLists: string[] = [];
    const lists: Array<[string, ContainerRef["kind"]]> = [
        ["initContainers", "initContainer"], ["containers", "container"], ["ephemeralContainers", "ephemeralContainer"],
    ];
    for (const [field, kind] of lists) {
        const list = at(podSpec, field);
        if (list === UNKNOWN) {
            unknownLists.push(field);
            continue;
        }
        asArr(list).forEach((c, i) => {
            const container = asObj(c);
            if (container) {
                containers.push({ container, name: asStr(container.name) ?? `#${i}`, kind, path: `${field}[${i}]` });
            }
        });
    }
    return { containers, unknownLists };
}

/** command + args of a container as the kubelet runs them (unknown elements kept as UNKNOWN). */
export function commandLine(container: Obj): Array<string | Unknown> {
    const out: Array<string | Unknown> = [];
    for (const field of ["command", "args"]) {
        const list = at(container, field);
        if (list === UNKNOWN) {
            out.push(UNKNOWN);
            continue;
        }
        for (const v of asArr(list)) {
            out.push(isUnknown(v) ? UNKNOWN : String(v));
        }
    }
    return out;
}

/** True when the container's command line invokes the script (by file name, anywhere in a token). */
export function runsScript(container: Obj, script: string): boolean {
    const re = new RegExp(`(^|[\\s/"'])${script.replace(/\./g, "\\.")}($|[\\s"';])`);
    return commandLine(container).some((t) => typeof t === "string" && re.test(t));
}

/** The script roles of the contract: file name the role's pod runs. */
export const ROLE_SCRIPTS: Record<string, string> = {
    backup: "backup.sh",
    retention: "retention.sh",
    "restore-drill": "restore-drill.sh",
    "pitr-drill": "pitr-drill.sh",
    restore: "restore.sh",
    canary: "canary.sh",
    verify: "verify.sh",
};

export const COMPONENT_LABEL = "app.kubernetes.io/component";

/**
 * The role of a workload: its app.kubernetes.io/component label (object or pod template), else the
 * script its containers run.
 */
export function roleOf(type: string, props: unknown): string | undefined {
    const fromMeta = metaOf(props).labels[COMPONENT_LABEL];
    if (fromMeta) {
        return fromMeta;
    }
    const template = podTemplateOf(type, props);
    if (template && template !== UNKNOWN) {
        const fromTemplate = metaOf(template).labels[COMPONENT_LABEL];
        if (fromTemplate) {
            return fromTemplate;
        }
        for (const { container } of containersOf(template.spec).containers) {
            for (const [role, script] of Object.entries(ROLE_SCRIPTS)) {
                if (runsScript(container, script)) {
                    return role;
                }
            }
        }
    }
    return undefined;
}

/** Where a file path inside a container comes from. */
export type FileSource =
    | { readonly kind: "configMap"; readonly name: string; readonly key: string; readonly volume: string; readonly mountPath: string }
    | { readonly kind: "secret"; readonly name: string; readonly key: string; readonly volume: string; readonly mountPath: string }
    | { readonly kind: "other"; readonly volume: string; readonly volumeType: string; readonly mountPath: string }
    | { readonly kind: "notMounted" }
    | { readonly kind: "missingKey"; readonly volume: string; readonly name: string; readonly relative: string }
    | { readonly kind: "unknown"; readonly why: string };

/** Follows a path through the container's volume mounts to the ConfigMap/Secret key behind it. */
export function fileSource(podSpec: unknown, container: Obj, path: string): FileSource {
    const mounts = at(container, "volumeMounts");
    if (mounts === UNKNOWN) {
        return { kind: "unknown", why: "volumeMounts" };
    }
    let best: { name: string; mountPath: string; relative: string } | undefined;
    for (const m of asArr(mounts)) {
        const mountPath = asStr(at(m, "mountPath"))?.replace(/\/+$/, "");
        const name = asStr(at(m, "name"));
        if (mountPath === undefined || name === undefined) {
            continue;
        }
        const subPath = asStr(at(m, "subPath"));
        let relative: string | undefined;
        if (subPath) {
            if (path === mountPath) {
                relative = subPath;
            } else if (path.startsWith(`${mountPath}/`)) {
                relative = `${subPath}/${path.slice(mountPath.length + 1)}`;
            }
        } else if (path.startsWith(`${mountPath}/`)) {
            relative = path.slice(mountPath.length + 1);
        }
        if (relative !== undefined && (!best || mountPath.length > best.mountPath.length)) {
            best = { name, mountPath, relative };
        }
    }
    if (!best) {
        return { kind: "notMounted" };
    }
    const volumes = at(podSpec, "volumes");
    if (volumes === UNKNOWN) {
        return { kind: "unknown", why: "volumes" };
    }
    const volume = asArr(volumes).map(asObj).find((v) => v && asStr(v.name) === best!.name);
    if (!volume) {
        return { kind: "other", volume: best.name, volumeType: "(missing volume)", mountPath: best.mountPath };
    }
    const fromItems = (items: unknown, relative: string): string | undefined => {
        const list = asArr(items);
        if (list.length === 0) {
            return relative.includes("/") ? undefined : relative;
        }
        const item = list.find((i) => asStr(at(i, "path")) === relative);
        return item ? asStr(at(item, "key")) : undefined;
    };
    for (const kind of ["configMap", "secret"] as const) {
        const src = asObj(volume[kind]);
        if (src) {
            const name = asStr(kind === "configMap" ? src.name : src.secretName);
            const key = fromItems(src.items, best.relative);
            if (name === undefined) {
                return { kind: "unknown", why: `${kind} volume ${best.name} name` };
            }
            if (key === undefined) {
                return { kind: "missingKey", volume: best.name, name, relative: best.relative };
            }
            return { kind, name, key, volume: best.name, mountPath: best.mountPath };
        }
    }
    const projected = asArr(at(volume, "projected", "sources"));
    for (const source of projected) {
        const cm = asObj(at(source, "configMap"));
        const name = asStr(cm?.name);
        if (cm && name) {
            const key = fromItems(cm.items, best.relative);
            if (key !== undefined) {
                return { kind: "configMap", name, key, volume: best.name, mountPath: best.mountPath };
            }
        }
    }
    const volumeType = Object.keys(volume).find((k) => k !== "name") ?? "(none)";
    return { kind: "other", volume: best.name, volumeType, mountPath: best.mountPath };
}

/** Lines of a shell script that are not comments (for "does it run X" checks). */
export function codeLines(script: string): string[] {
    return script.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
}

/** Container images: tag or digest, as written. */
export function imageRef(image: string): { name: string; tag?: string; digest?: string } {
    const [withoutDigest, digest] = image.split("@");
    const lastSlash = withoutDigest.lastIndexOf("/");
    const colon = withoutDigest.lastIndexOf(":");
    if (colon > lastSlash) {
        return { name: withoutDigest.slice(0, colon), tag: withoutDigest.slice(colon + 1), digest };
    }
    return { name: withoutDigest, digest };
}

/** The label selector of a pod affinity term matches the given pod labels. */
export function selectorMatches(selector: unknown, labels: Record<string, string>): boolean | Unknown {
    if (selector === UNKNOWN) {
        return UNKNOWN;
    }
    const sel = asObj(selector);
    if (!sel) {
        return false; // a nil selector matches no pods
    }
    const matchLabels = asObj(sel.matchLabels) ?? {};
    const expressions = asArr(sel.matchExpressions);
    if (Object.keys(matchLabels).length === 0 && expressions.length === 0) {
        return true; // an empty selector matches every pod
    }
    for (const [k, v] of Object.entries(matchLabels)) {
        if (isUnknown(v)) {
            return UNKNOWN;
        }
        if (labels[k] !== v) {
            return false;
        }
    }
    for (const e of expressions) {
        const key = asStr(at(e, "key"));
        const op = asStr(at(e, "operator"));
        const values = strings(at(e, "values"));
        if (key === undefined || op === undefined) {
            return UNKNOWN;
        }
        const has = key in labels;
        const ok = op === "In" ? has && values.includes(labels[key])
            : op === "NotIn" ? !has || !values.includes(labels[key])
                : op === "Exists" ? has
                    : op === "DoesNotExist" ? !has : false;
        if (!ok) {
            return false;
        }
    }
    return true;
}
