// The program's rendered objects against a real API server (test/controlplane/): read them from a
// render (tools/render.ts), apply them server-side the way the Kubernetes provider does, and, for an
// adopted object, reproduce the provider's import-then-update under server-side apply.
//
// What pulumi-kubernetes v4 does (server-side apply is its default mode), as read in its provider
// source (provider/pkg/await/await.go: ssaUpdate, fixCSAFieldManagers, handleSSAIgnoreFields,
// patchForce; provider/pkg/provider/provider.go: fieldManagerName):
//   - create and update are an apply patch (`application/apply-patch+yaml`) of the object's inputs with
//     the field manager `pulumi-kubernetes-<random>`, force off unless the object carries the
//     annotation `pulumi.com/patchForce: "true"` (or PULUMI_K8S_ENABLE_PATCH_FORCE is set);
//   - before an update it moves the fields of the client-side managers (`kubectl*` Apply/Update,
//     `before-first-apply`, `pulumi-kubernetes*` Update) into its own manager (a JSON patch of
//     metadata.managedFields), so that objects made by `kubectl apply` can be taken over without
//     conflicts;
//   - an `ignoreChanges` path that it owns is sent with the live value (one owned only by others is left out).

import * as yaml from "js-yaml";
import { ProgramRun } from "../harness";
import { Rendered } from "../render";
import { ApiResponse, ControlPlane } from "./cluster";

type Obj = Record<string, unknown>;

export interface RenderedOptions {
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly import: string | null;
    readonly ignoreChanges: string[];
}

export interface RenderedObject {
    /** File the render wrote it to. */
    readonly file: string;
    readonly urn: string;
    /** The object as rendered (secret values `<redacted>`). */
    readonly obj: Obj;
    readonly options: RenderedOptions;
    /** "Kind namespace/name". */
    readonly label: string;
}

export function metaOf(obj: Obj): { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> } {
    return (obj.metadata ?? {}) as { name: string; namespace?: string };
}

export function labelOf(obj: Obj): string {
    const m = metaOf(obj);
    return `${String(obj.kind)} ${m.namespace ? `${m.namespace}/` : ""}${m.name}`;
}

/** Every Kubernetes object of a render (patches excluded: `patches` lists them), with its options. */
export function renderedObjects(rendered: Pick<Rendered, "files">): { objects: RenderedObject[]; patches: string[] } {
    const resources = JSON.parse(rendered.files.find((f) => f.name === "resources.json")!.text) as
        { urn: string; options: RenderedOptions; file?: string }[];
    const byFile = new Map(resources.filter((r) => r.file).map((r) => [r.file!, r]));
    const objects: RenderedObject[] = [];
    const patches: string[] = [];
    for (const f of rendered.files.filter((x) => x.name.endsWith(".yaml"))) {
        if (/Patch\./.test(f.name)) {
            patches.push(f.name);
            continue;
        }
        const res = byFile.get(f.name);
        if (!res) throw new Error(`${f.name} has no entry in resources.json`);
        const obj = yaml.load(f.text) as Obj;
        objects.push({ file: f.name, urn: res.urn, obj, options: res.options, label: labelOf(obj) });
    }
    return { objects, patches };
}

/** Namespaces the objects live in that the program does not create (they must exist before it runs). */
export function existingNamespaces(objects: readonly RenderedObject[]): string[] {
    const created = new Set(objects.filter((o) => o.obj.kind === "Namespace").map((o) => metaOf(o.obj).name));
    const used = new Set(objects.map((o) => metaOf(o.obj).namespace).filter((n): n is string => !!n));
    return [...used].filter((n) => !created.has(n)).sort();
}

/**
 * The order the engine creates them in, as far as the API server cares: namespaces first, then the
 * program's dependency order (the render lists resources in registration order, which respects it).
 */
export function applyOrder(objects: readonly RenderedObject[]): RenderedObject[] {
    return [...objects.filter((o) => o.obj.kind === "Namespace"), ...objects.filter((o) => o.obj.kind !== "Namespace")];
}

export interface ApplyResult {
    readonly label: string;
    readonly status: number;
    readonly warnings: string[];
    /** The server's message when refused. */
    readonly message?: string;
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    readonly live?: any;
}

export interface ApplyOptions {
    readonly fieldManager: string;
    readonly force?: boolean;
    readonly dryRun?: boolean;
}

/** A server-side apply of one object (PATCH application/apply-patch+yaml). */
export async function serverSideApply(cp: ControlPlane, obj: Obj, opts: ApplyOptions): Promise<ApplyResult> {
    const m = metaOf(obj);
    const p = await cp.pathOf(String(obj.apiVersion), String(obj.kind), m.namespace, m.name);
    const r = await cp.request("PATCH", p, {
        body: JSON.stringify(obj),
        contentType: "application/apply-patch+yaml",
        query: { fieldManager: opts.fieldManager, force: String(opts.force ?? false), ...(opts.dryRun ? { dryRun: "All" } : {}) },
    });
    return resultOf(labelOf(obj), r);
}

function resultOf(label: string, r: ApiResponse): ApplyResult {
    const ok = r.status >= 200 && r.status < 300;
    return { label, status: r.status, warnings: r.warnings, ...(ok ? { live: r.body } : { message: r.body?.message ?? r.text }) };
}

/** True when the object asks the provider to force conflicts (pulumi.com/patchForce: "true"). */
export function patchForce(obj: Obj): boolean {
    return metaOf(obj).annotations?.["pulumi.com/patchForce"] === "true" || process.env.PULUMI_K8S_ENABLE_PATCH_FORCE === "true";
}

// ---------------------------------------------------------------------------------------------
// Import, then update (adoption)

interface ManagedFieldsEntry {
    manager?: string;
    operation?: string;
    subresource?: string;
    fieldsV1?: Obj;
    fieldsType?: string;
    apiVersion?: string;
    time?: string;
}

/** The client-side managers whose fields the provider takes over before its first apply. */
const TAKEN_OVER: { prefix: string; operation: string }[] = [
    { prefix: "kubectl", operation: "Apply" },
    { prefix: "kubectl", operation: "Update" },
    { prefix: "before-first-apply", operation: "Update" },
    { prefix: "pulumi-kubernetes", operation: "Update" },
    { prefix: "pulumi-kubernetes.exe", operation: "Update" },
    { prefix: "pulumi-resource-kubernetes", operation: "Update" },
];

function mergeFields(a: Obj | undefined, b: Obj | undefined): Obj {
    const out: Obj = { ...(a ?? {}) };
    for (const [k, v] of Object.entries(b ?? {})) {
        out[k] = k in out ? mergeFields(out[k] as Obj, v as Obj) : v;
    }
    return out;
}

/**
 * The managedFields after the provider's take-over: every entry of a client-side manager merged into
 * one Apply entry of `fieldManager`; undefined when there is nothing to take over.
 */
export function takeOverManagedFields(entries: readonly ManagedFieldsEntry[], fieldManager: string): ManagedFieldsEntry[] | undefined {
    let ours = entries.find((e) => e.manager === fieldManager && e.operation === "Apply");
    const kept: ManagedFieldsEntry[] = [];
    let edited = false;
    for (const e of entries) {
        if (e === ours) continue;
        const match = TAKEN_OVER.some((t) => (e.manager ?? "").startsWith(t.prefix) && e.operation === t.operation && !e.subresource);
        if (!match) {
            kept.push(e);
            continue;
        }
        edited = true;
        ours = ours ? { ...ours, fieldsV1: mergeFields(ours.fieldsV1, e.fieldsV1) } : { ...e, manager: fieldManager, operation: "Apply" };
    }
    return edited && ours ? [...kept, ours] : undefined;
}

function getPath(obj: unknown, steps: string[]): unknown {
    let cur = obj;
    for (const s of steps) {
        if (cur === null || typeof cur !== "object") return undefined;
        cur = (cur as Obj)[s];
    }
    return cur;
}

function setPath(obj: Obj, steps: string[], value: unknown): void {
    let cur = obj;
    for (const s of steps.slice(0, -1)) {
        if (cur[s] === null || typeof cur[s] !== "object") cur[s] = {};
        cur = cur[s] as Obj;
    }
    cur[steps[steps.length - 1]] = value;
}

function deletePath(obj: Obj, steps: string[]): void {
    const parent = getPath(obj, steps.slice(0, -1));
    if (parent && typeof parent === "object") delete (parent as Obj)[steps[steps.length - 1]];
}

/** True when the manager's FieldsV1 covers the dotted path (or something under it). */
function owns(entries: readonly ManagedFieldsEntry[], fieldManager: string, steps: string[]): boolean {
    return entries.some((e) => e.manager === fieldManager && !e.subresource && getPath(e.fieldsV1, steps.map((s) => `f:${s}`)) !== undefined);
}

/** The inputs the provider sends for an update with ignoreChanges, given the live object after take-over. */
export function withIgnoredChanges(obj: Obj, live: Obj, ignoreChanges: readonly string[], fieldManager: string): Obj {
    const out = JSON.parse(JSON.stringify(obj)) as Obj;
    const managed = ((live.metadata as Obj | undefined)?.managedFields ?? []) as ManagedFieldsEntry[];
    for (const p of ignoreChanges) {
        const steps = p.split(".");
        const liveValue = getPath(live, steps);
        if (owns(managed, fieldManager, steps)) {
            if (liveValue !== undefined) setPath(out, steps, liveValue);
        } else if (liveValue !== undefined) {
            deletePath(out, steps);
        }
    }
    return out;
}

/**
 * Fields for which pulumi-kubernetes replaces an object instead of updating it
 * (provider/pkg/provider/diff.go), for the kinds the program declares; metadata.name/namespace too.
 */
export const REPLACE_ON_CHANGE: Readonly<Record<string, readonly string[]>> = {
    Service: ["spec.clusterIP"],
    StatefulSet: ["spec.podManagementPolicy", "spec.revisionHistoryLimit", "spec.selector", "spec.serviceName", "spec.volumeClaimTemplates"],
    Secret: ["type"],
    PersistentVolumeClaim: ["spec.accessModes", "spec.selector", "spec.storageClassName", "spec.volumeName"],
    Job: ["spec.completions", "spec.parallelism", "spec.selector", "spec.template"],
};

/**
 * What makes the provider replace an object on import: the import's inputs are the live object's
 * fields (provider.go Read without previous inputs), so a replace-on-change field that the live object
 * carries and the program sends differently, or does not send, is a replacement, which the engine
 * refuses for an imported object ("previously-imported resources that still specify an ID may not be
 * replaced"; with protect: "unable to replace ... marked for protection"). Paths under ignoreChanges
 * are not compared (the engine keeps the imported value). One line per field.
 */
export function importReplacements(ro: RenderedObject, live: Obj): string[] {
    const out: string[] = [];
    for (const p of REPLACE_ON_CHANGE[String(ro.obj.kind)] ?? []) {
        if (ro.options.ignoreChanges.some((i) => p === i || p.startsWith(`${i}.`) || i.startsWith(`${p}.`))) continue;
        const steps = p.split(".");
        const liveValue = getPath(live, steps);
        const sent = getPath(ro.obj, steps);
        if (liveValue !== undefined && JSON.stringify(sent) !== JSON.stringify(liveValue)) {
            out.push(`${ro.label}: ${p} is ${JSON.stringify(liveValue)} on the server, the program sends ${sent === undefined ? "nothing" : JSON.stringify(sent)}`);
        }
    }
    return out;
}

export interface AdoptResult extends ApplyResult {
    /** UID of the object before the import. */
    readonly uidBefore: string;
}

/**
 * `import` of an existing object followed by the update to the program's spec, as the provider does
 * it: the object must exist (an import of a missing object fails), its client-side managers' fields are
 * taken over, ignoreChanges paths keep the live value, then one apply without force.
 */
export async function importAndUpdate(cp: ControlPlane, ro: RenderedObject, fieldManager: string): Promise<AdoptResult> {
    const m = metaOf(ro.obj);
    const live = await cp.get(String(ro.obj.apiVersion), String(ro.obj.kind), m.namespace, m.name);
    if (!live) throw new Error(`import of ${ro.label} (id ${ro.options.import}) fails: the object does not exist`);
    const uidBefore = String(live.metadata.uid);
    let current = live;
    const entries = takeOverManagedFields(live.metadata.managedFields ?? [], fieldManager);
    if (entries) {
        const p = await cp.pathOf(String(ro.obj.apiVersion), String(ro.obj.kind), m.namespace, m.name);
        const r = await cp.must("PATCH", p, {
            body: [
                { op: "test", path: "/metadata/resourceVersion", value: live.metadata.resourceVersion },
                { op: "replace", path: "/metadata/managedFields", value: entries },
            ],
            contentType: "application/json-patch+json",
        });
        current = r.body;
    }
    const inputs = withIgnoredChanges(ro.obj, current, ro.options.ignoreChanges, fieldManager);
    const result = await serverSideApply(cp, inputs, { fieldManager, force: patchForce(ro.obj) });
    return { ...result, uidBefore };
}

// ---------------------------------------------------------------------------------------------
// Rendered spec vs live object

/**
 * Where the live object does not carry the rendered value: every rendered field must be there with
 * the same value (the server may add defaults, never change or drop what was sent). A Secret's
 * `stringData` is compared with its base64 `data`, which is what the server stores. Secret values
 * that the render redacted are skipped.
 */
export function differences(expected: unknown, actual: unknown, at = ""): string[] {
    if (expected === "<redacted>") return [];
    if (Array.isArray(expected)) {
        if (!Array.isArray(actual)) return [`${at || "/"}: rendered a list, live ${JSON.stringify(actual)}`];
        if (expected.length !== actual.length) return [`${at}: rendered ${expected.length} items, live ${actual.length}`];
        return expected.flatMap((e, i) => differences(e, actual[i], `${at}/${i}`));
    }
    if (expected !== null && typeof expected === "object") {
        if (actual === null || typeof actual !== "object" || Array.isArray(actual)) return [`${at || "/"}: rendered an object, live ${JSON.stringify(actual)}`];
        const exp = expected as Obj;
        const act = actual as Obj;
        const out: string[] = [];
        for (const [k, v] of Object.entries(exp)) {
            if (at === "" && k === "stringData" && exp.kind === "Secret") {
                const data = (act.data ?? {}) as Record<string, string>;
                for (const [key, value] of Object.entries(v as Record<string, string>)) {
                    if (value === "<redacted>") {
                        if (!(key in data)) out.push(`/data/${key}: missing`);
                        continue;
                    }
                    const live = data[key] === undefined ? undefined : Buffer.from(data[key], "base64").toString("utf8");
                    if (live !== value) out.push(`/data/${key}: rendered ${JSON.stringify(value)}, live ${JSON.stringify(live)}`);
                }
                continue;
            }
            out.push(...differences(v, act[k], `${at}/${k}`));
        }
        return out;
    }
    return expected === actual ? [] : [`${at}: rendered ${JSON.stringify(expected)}, live ${JSON.stringify(actual)}`];
}

/** Managers that own fields of the object (main resource, not status), with their operation. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function managersOf(live: any): string[] {
    return ((live?.metadata?.managedFields ?? []) as ManagedFieldsEntry[])
        .filter((e) => !e.subresource)
        .map((e) => `${e.manager ?? "?"}/${e.operation ?? "?"}`);
}

/** The run's objects that carry an import id (what `adopt: true` imports): "Kind <id>". */
export function importedObjects(run: ProgramRun): string[] {
    return run.resources.filter((r) => r.options.importId).map((r) => `${r.type.split(":").pop()} ${r.options.importId}`);
}
