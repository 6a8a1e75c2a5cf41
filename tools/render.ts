// Offline render: runs index.ts under the mock runtime (tools/harness/) with Pulumi.<stack>.yaml and
// writes every Kubernetes object as YAML, one file per object, plus resources.json (every resource:
// URN, type, name, parent, dependencies, options) and outputs.json. Secrets are redacted, and no
// generated credential may appear anywhere in the output. Every object is validated against the
// Kubernetes schema (kubernetes-models); the ha profile's postgresql resource against the operator's own
// CRD at the pinned version, both its forms (tools/operator-crd: fetch.sh must have run).
//
//   npm run render -- --stack <name> --out <dir> [--previous-outputs <file.json>]
//
// TERNENT_NOW (RFC 3339) fixes the clock the config validation uses (reproducible renders).
// Exit codes: 0 rendered and valid; 1 an object is invalid or a credential leaked; 2 bad config or usage.

import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { CapturedResource, ProgramRun, runStack, securePlaceholder, stackFilePath } from "./harness";
import { crdValidator, OPERATOR_RELEASE, operatorCrdSkipReason, operatorCrds } from "./operator-crd/schema";

export const REDACTED = "<redacted>";

export interface RenderedFile {
    /** File name inside the output directory. */
    readonly name: string;
    readonly text: string;
}

export interface SchemaProblem {
    /** File of the object. */
    readonly file: string;
    /** kind/namespace/name. */
    readonly object: string;
    /** JSON pointer of the field (e.g. /spec/template/spec/containers/0/ports/0/containerPort). */
    readonly field: string;
    readonly message: string;
}

export interface Rendered {
    readonly files: readonly RenderedFile[];
    /** Objects that fail the Kubernetes schema. */
    readonly problems: readonly SchemaProblem[];
    /** Credential values found in the output after redaction (must be empty). */
    readonly leaks: readonly string[];
    /** Kubernetes object count by kind. */
    readonly kinds: Readonly<Record<string, number>>;
}

type Obj = Record<string, unknown>;

function isK8s(r: CapturedResource): boolean {
    return r.custom && r.type.startsWith("kubernetes:") && !r.type.startsWith("kubernetes:index:") && r.type !== "pulumi:providers:kubernetes";
}

function isPatch(r: CapturedResource): boolean {
    return r.type.endsWith("Patch");
}

/** Replaces every leaf value under the given dotted/indexed paths with REDACTED (keys stay visible). */
export function redactPaths(value: Obj, paths: readonly string[]): Obj {
    const copy = JSON.parse(JSON.stringify(value)) as Obj;
    const leaves = (v: unknown): unknown => {
        if (Array.isArray(v)) {
            return v.map(leaves);
        }
        if (v !== null && typeof v === "object") {
            return Object.fromEntries(Object.entries(v as Obj).map(([k, x]) => [k, leaves(x)]));
        }
        return REDACTED;
    };
    for (const p of paths) {
        const steps = p.split(/\.|\[(\d+)\]/).filter((s) => s !== undefined && s !== "");
        let parent: unknown = copy;
        for (let i = 0; i < steps.length - 1 && parent !== undefined && parent !== null; i++) {
            parent = (parent as Obj)[steps[i]];
        }
        const last = steps[steps.length - 1];
        if (parent !== null && typeof parent === "object" && last !== undefined && last in (parent as Obj)) {
            (parent as Obj)[last] = leaves((parent as Obj)[last]);
        }
    }
    return copy;
}

/** Every generated or configured credential of a run: none of these may appear in rendered output. */
export function credentialValues(run: ProgramRun, secureKeys: readonly string[] = []): string[] {
    const values = new Set<string>();
    const add = (v: unknown): void => {
        if (typeof v === "string" && v.length >= 8) {
            values.add(v);
        }
    };
    for (const r of run.resources) {
        switch (r.type) {
            case "random:index/randomPassword:RandomPassword":
                add(r.outputs.result);
                break;
            case "random:index/randomId:RandomId":
                ["hex", "b64Std", "b64Url", "dec"].forEach((k) => add(r.outputs[k]));
                break;
            case "digitalocean:index/spacesKey:SpacesKey":
                add(r.outputs.accessKey);
                add(r.outputs.secretKey);
                break;
            default:
        }
    }
    for (const key of run.secretOutputs) {
        add(run.outputs[key]);
    }
    for (const key of secureKeys) {
        add(securePlaceholder(key));
    }
    return [...values];
}

function scrub(text: string, secrets: readonly string[]): string {
    let out = text;
    for (const s of secrets) {
        out = out.split(s).join(REDACTED);
    }
    return out;
}

function fileNameFor(r: CapturedResource, obj: Obj, used: Set<string>): string {
    const meta = (obj.metadata ?? {}) as Obj;
    const kind = isPatch(r) ? `${String(obj.kind)}Patch` : String(obj.kind);
    const ns = typeof meta.namespace === "string" && meta.namespace !== "" ? meta.namespace : "_cluster";
    const base = `${ns}.${kind}.${String(meta.name ?? r.name)}`;
    // Several patches can target one object: tell them apart by their Pulumi name.
    let name = isPatch(r) ? `${base}.${r.name}.yaml` : `${base}.yaml`;
    for (let i = 2; used.has(name); i++) {
        name = `${base}.${i}.yaml`;
    }
    used.add(name);
    return name;
}

/** The kubernetes-models class for an apiVersion/kind, or undefined when the schema is unknown. */
function modelFor(apiVersion: string, kind: string): { new(data: Obj): { validate(): void } } | undefined {
    const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
    try {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const mod = require(`kubernetes-models/${group ? `${group}/` : ""}${version}`) as Record<string, unknown>;
        return mod[kind] as { new(data: Obj): { validate(): void } } | undefined;
    } catch {
        return undefined;
    }
}

let operatorValidators: { name: string; validate: (o: unknown) => string[] }[] | undefined;

/** The operator's postgresql resource against both forms of its CRD (the manifest and the one it registers). */
function validateOperatorResource(obj: Obj): { field: string; message: string }[] {
    const reason = operatorCrdSkipReason();
    if (reason) return [{ field: "/", message: `cannot validate against the operator's CRD: ${reason}` }];
    if (!operatorValidators) {
        const crds = operatorCrds();
        operatorValidators = [
            { name: "manifests/postgresql.crd.yaml", validate: crdValidator(crds.manifest) },
            { name: "the CRD the operator registers", validate: crdValidator(crds.registered) },
        ];
    }
    return operatorValidators.flatMap((v) => v.validate(obj).map((message) => ({ field: "/", message: `${message} (${v.name}, ${OPERATOR_RELEASE.version})` })));
}

/** Validates one object; a Patch is validated as the object it patches (required fields filled in). */
export function validateObject(obj: Obj, patch: boolean): { field: string; message: string }[] {
    if (obj.apiVersion === OPERATOR_RELEASE.apiVersion && obj.kind === OPERATOR_RELEASE.kind) {
        return validateOperatorResource(obj);
    }
    const Model = modelFor(String(obj.apiVersion), String(obj.kind));
    if (!Model) {
        return [{ field: "/apiVersion", message: `no schema for ${String(obj.apiVersion)} ${String(obj.kind)}` }];
    }
    let data = obj;
    if (patch && obj.kind === "Deployment") {
        const spec = (obj.spec ?? {}) as Obj;
        data = {
            ...obj,
            spec: { selector: { matchLabels: { patch: "x" } }, template: { spec: { containers: [{ name: "x" }] } }, ...spec },
        };
    }
    try {
        new Model(data).validate();
        return [];
    } catch (e) {
        const errors = (e as { errors?: { instancePath?: string; message?: string; params?: unknown }[] }).errors;
        if (Array.isArray(errors) && errors.length > 0) {
            return errors.map((x) => ({
                field: x.instancePath || "/",
                message: `${x.message ?? "invalid"}${x.params ? ` ${JSON.stringify(x.params)}` : ""}`,
            }));
        }
        return [{ field: "/", message: (e as Error).message }];
    }
}

/** Renders a captured run into files (in memory). */
export function renderRun(run: ProgramRun, secureKeys: readonly string[] = []): Rendered {
    const secrets = credentialValues(run, secureKeys);
    const files: RenderedFile[] = [];
    const problems: SchemaProblem[] = [];
    const kinds: Record<string, number> = {};
    const used = new Set<string>();
    const fileOf = new Map<string, string>();

    for (const r of run.resources.filter(isK8s)) {
        const obj = redactPaths(r.inputs, r.secretPaths);
        const file = fileNameFor(r, obj, used);
        fileOf.set(r.urn, file);
        const meta = (obj.metadata ?? {}) as Obj;
        const label = `${String(obj.kind)}${isPatch(r) ? "Patch" : ""} ${meta.namespace ? `${String(meta.namespace)}/` : ""}${String(meta.name)}`;
        // Validate the unredacted inputs: redaction must not hide a type error.
        for (const p of validateObject(r.inputs, isPatch(r))) {
            problems.push({ file, object: label, field: p.field, message: p.message });
        }
        const kindKey = `${String(obj.kind)}${isPatch(r) ? "Patch" : ""}`;
        kinds[kindKey] = (kinds[kindKey] ?? 0) + 1;
        const header = `# ${r.urn}\n`;
        files.push({ name: file, text: scrub(header + yaml.dump(obj, { noRefs: true, lineWidth: 160, sortKeys: false }), secrets) });
    }

    const resources = run.resources.map((r) => ({
        urn: r.urn,
        type: r.type,
        name: r.name,
        custom: r.custom,
        parent: r.parent ?? null,
        dependencies: r.dependencies,
        options: {
            protect: r.options.protect,
            retainOnDelete: r.options.retainOnDelete,
            import: r.options.importId ?? null,
            ignoreChanges: r.options.ignoreChanges,
        },
        ...(fileOf.has(r.urn) ? { file: fileOf.get(r.urn) } : r.custom ? { inputs: redactPaths(r.inputs, r.secretPaths) } : {}),
    }));
    files.push({ name: "resources.json", text: scrub(JSON.stringify(resources, null, 2) + "\n", secrets) });

    const outputs = Object.fromEntries(Object.entries(run.outputs).map(([k, v]) => [k, run.secretOutputs.includes(k) ? REDACTED : v]));
    files.push({ name: "outputs.json", text: scrub(JSON.stringify(outputs, null, 2) + "\n", secrets) });

    const leaks = secrets.filter((s) => files.some((f) => f.text.includes(s)));
    return { files, problems, leaks, kinds };
}

/** Runs the program for a stack and writes the rendered files into `outDir` (emptied first). */
export async function renderStack(stack: string, outDir: string, previousOutputs?: Record<string, unknown>): Promise<Rendered & { run: ProgramRun }> {
    const run = await runStack(stack, { now: process.env.TERNENT_NOW, previousOutputs });
    const doc = yaml.load(fs.readFileSync(stackFilePath(stack), "utf8")) as { config?: Obj } | null;
    const secureKeys = Object.entries(doc?.config ?? {})
        .filter(([, v]) => v !== null && typeof v === "object" && "secure" in (v as Obj))
        .map(([k]) => (k.includes(":") ? k : `ternent-postgres:${k}`));
    const rendered = renderRun(run, secureKeys);
    fs.rmSync(outDir, { recursive: true, force: true });
    fs.mkdirSync(outDir, { recursive: true });
    for (const f of rendered.files) {
        fs.writeFileSync(path.join(outDir, f.name), f.text);
    }
    return { ...rendered, run };
}

function parseArgs(argv: string[]): { stack?: string; out?: string; previous?: string } {
    const out: { stack?: string; out?: string; previous?: string } = {};
    for (let i = 0; i < argv.length; i++) {
        const a = argv[i];
        const next = (): string => {
            const v = argv[++i];
            if (v === undefined) {
                throw new Error(`${a} needs a value`);
            }
            return v;
        };
        if (a === "--stack") {
            out.stack = next();
        } else if (a === "--out") {
            out.out = next();
        } else if (a === "--previous-outputs") {
            out.previous = next();
        } else {
            throw new Error(`unknown argument ${a}`);
        }
    }
    return out;
}

const USAGE = "usage: npm run render -- --stack <name> --out <dir> [--previous-outputs <file.json>]";

export async function main(argv: string[]): Promise<number> {
    let args: ReturnType<typeof parseArgs>;
    try {
        args = parseArgs(argv);
    } catch (e) {
        console.error(`render: ${(e as Error).message}\n${USAGE}`);
        return 2;
    }
    if (!args.stack || !args.out) {
        console.error(USAGE);
        return 2;
    }
    if (!fs.existsSync(stackFilePath(args.stack))) {
        console.error(`render: ${stackFilePath(args.stack)} does not exist (stacks are the Pulumi.<name>.yaml files)`);
        return 2;
    }
    let previous: Record<string, unknown> | undefined;
    if (args.previous) {
        previous = JSON.parse(fs.readFileSync(args.previous, "utf8")) as Record<string, unknown>;
    }
    let result: Awaited<ReturnType<typeof renderStack>>;
    try {
        result = await renderStack(args.stack, args.out, previous);
    } catch (e) {
        console.error(`render: stack ${args.stack}: ${(e as Error).message}`);
        return 2;
    }
    for (const log of result.run.logs.filter((l) => l.severity !== "info")) {
        console.error(`${log.severity}: ${log.message}`);
    }
    const objects = Object.values(result.kinds).reduce((a, b) => a + b, 0);
    console.log(`render: stack ${args.stack}: ${objects} Kubernetes objects, ${result.run.resources.length} resources -> ${args.out}`);
    console.log(`  ${Object.entries(result.kinds).sort().map(([k, n]) => `${n} ${k}`).join(", ")}`);
    let code = 0;
    for (const p of result.problems) {
        console.error(`invalid: ${p.object} (${p.file}): field ${p.field}: ${p.message}`);
        code = 1;
    }
    if (result.leaks.length > 0) {
        console.error(`render: ${result.leaks.length} credential value(s) would appear in the output; refusing`);
        code = 1;
    }
    if (code === 0) {
        console.log("  every object validates against the Kubernetes schema; secrets redacted");
    }
    return code;
}

if (require.main === module) {
    main(process.argv.slice(2)).then((code) => process.exit(code), (e) => {
        console.error(`render: ${(e as Error).stack ?? e}`);
        process.exit(2);
    });
}
