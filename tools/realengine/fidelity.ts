// Fidelity check: what the REAL engine recorded equals what the offline mock render shows.
//
//   ts-node --transpile-only tools/realengine/fidelity.ts --render <dir> --state <state.json>
//       --secrets-state <state.secrets.json> --stack-file <Pulumi.x.yaml>
//
// <dir> is `npm run render -- --stack <name> --out <dir>`; the two state files are `pulumi stack export`
// without and with --show-secrets, as tools/realengine/preview.sh writes them. Checks:
//   1. every Kubernetes object: the inputs the engine recorded equal the rendered YAML, object for object
//      and field for field, after the render's own redaction is applied to the engine's values (values
//      under a secret are "<redacted>", generated credentials "<redacted>" wherever they occur);
//   2. every other custom resource: its inputs equal resources.json's (same redaction);
//   3. every resource: same URNs, parent, protect, retainOnDelete, ignoreChanges and import id;
//   4. no generated credential (random passwords/ids/bytes, Spaces secret keys, secret stack outputs,
//      the stack's secure config) appears in plaintext anywhere in the state export.
// Values only a cloud produces (ids, generated secrets) are redacted, never compared. A Spaces key's
// access key id is redacted too (the render does) but is no leak: it is the key's resource id.
// Top-level resources: the engine's parent is the root Stack, the harness's none; both mean "top level".
// Prints one line per difference and a JSON summary line. Exit codes: 0 equal and no leak; 1 a
// difference or a leak; 2 bad usage or unreadable input.

import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { isSecretEnvelope, PROJECT } from "../harness";
import { REDACTED } from "../render";
import { prepareStackFile } from "./stackfile";

type Obj = Record<string, unknown>;

/** One resource of `pulumi stack export` (deployment.resources[]). */
export interface StateResource {
    readonly urn: string;
    readonly type: string;
    readonly custom?: boolean;
    readonly id?: string;
    readonly parent?: string;
    readonly inputs?: Obj;
    readonly outputs?: Obj;
    readonly protect?: boolean;
    readonly retainOnDelete?: boolean;
    readonly ignoreChanges?: string[];
    readonly importID?: string;
    readonly external?: boolean;
}

export interface Difference {
    /** What differs: "object", "inputs", "resource", "leak". */
    readonly kind: string;
    readonly urn: string;
    /** JSON pointer of the field, "" for the whole object. */
    readonly field: string;
    readonly render: unknown;
    readonly engine: unknown;
}

/** Replaces every leaf with REDACTED, keeping keys and array lengths (as render.ts redactPaths does). */
function redactLeaves(v: unknown): unknown {
    if (Array.isArray(v)) {
        return v.map(redactLeaves);
    }
    if (v !== null && typeof v === "object") {
        return Object.fromEntries(Object.entries(v as Obj).map(([k, x]) => [k, redactLeaves(x)]));
    }
    return REDACTED;
}

/** Decodes --show-secrets envelopes ({sig, plaintext: "<json>"}) into plain values. */
export function reveal(v: unknown): unknown {
    if (isSecretEnvelope(v)) {
        if (typeof v.plaintext !== "string") {
            throw new Error("a secret has no plaintext: pass the export made with --show-secrets");
        }
        return reveal(JSON.parse(v.plaintext));
    }
    if (Array.isArray(v)) {
        return v.map(reveal);
    }
    if (v !== null && typeof v === "object") {
        return Object.fromEntries(Object.entries(v as Obj).map(([k, x]) => [k, reveal(x)]));
    }
    return v;
}

/** Applies the render's redaction to engine values: secrets' leaves, then credential substrings. */
export function redact(v: unknown, credentials: readonly string[]): unknown {
    if (isSecretEnvelope(v)) {
        if (typeof v.plaintext !== "string") {
            throw new Error("a secret has no plaintext: pass the export made with --show-secrets");
        }
        return redactLeaves(JSON.parse(v.plaintext));
    }
    if (Array.isArray(v)) {
        return v.map((x) => redact(x, credentials));
    }
    if (v !== null && typeof v === "object") {
        return Object.fromEntries(Object.entries(v as Obj).map(([k, x]) => [k, redact(x, credentials)]));
    }
    if (typeof v === "string") {
        let s = v;
        for (const c of credentials) {
            s = s.split(c).join(REDACTED);
        }
        return s;
    }
    return v;
}

/** Outputs of these types are generated credentials (cloud- or provider-produced, never inputs). */
const CREDENTIAL_OUTPUTS: Record<string, readonly string[]> = {
    "random:index/randomPassword:RandomPassword": ["result", "bcryptHash"],
    "random:index/randomString:RandomString": ["result"],
    "random:index/randomId:RandomId": ["hex", "b64Std", "b64Url", "dec"],
    "random:index/randomBytes:RandomBytes": ["hex", "base64"],
    "digitalocean:index/spacesKey:SpacesKey": ["secretKey"],
};

/**
 * Generated values the render redacts but that are identifiers, not secrets: a Spaces key's access key
 * id is the resource's id in the real provider, and ids are always plaintext in state. They are
 * redacted for the comparison and not counted as leaks.
 */
const IDENTIFIER_OUTPUTS: Record<string, readonly string[]> = {
    "digitalocean:index/spacesKey:SpacesKey": ["accessKey"],
};

/**
 * Every generated credential in a --show-secrets export, plus the stack's secure config values;
 * with `identifiers`, also the generated identifiers the render redacts.
 */
export function credentialValues(revealed: readonly StateResource[], securePlaintexts: readonly string[], identifiers = false): string[] {
    const values = new Set<string>();
    const add = (v: unknown): void => {
        if (typeof v === "string" && v.length >= 8) {
            values.add(v);
        }
    };
    for (const r of revealed) {
        for (const key of [...(CREDENTIAL_OUTPUTS[r.type] ?? []), ...(identifiers ? IDENTIFIER_OUTPUTS[r.type] ?? [] : [])]) {
            add(reveal(r.outputs?.[key]));
        }
        if (r.type === "pulumi:pulumi:Stack") {
            for (const v of Object.values(r.outputs ?? {})) {
                if (isSecretEnvelope(v)) {
                    add(reveal(v));
                }
            }
        }
    }
    securePlaintexts.forEach(add);
    // Longest first, so a credential containing another is replaced whole.
    return [...values].sort((a, b) => b.length - a.length);
}

/** Field-by-field differences between two JSON values, as JSON pointers. */
export function diffValues(a: unknown, b: unknown, pointer = ""): { field: string; render: unknown; engine: unknown }[] {
    if (Array.isArray(a) && Array.isArray(b)) {
        const out = [];
        for (let i = 0; i < Math.max(a.length, b.length); i++) {
            out.push(...diffValues(a[i], b[i], `${pointer}/${i}`));
        }
        return out;
    }
    const isObj = (x: unknown): x is Obj => x !== null && typeof x === "object" && !Array.isArray(x);
    if (isObj(a) && isObj(b)) {
        const keys = [...new Set([...Object.keys(a), ...Object.keys(b)])].sort();
        return keys.flatMap((k) => diffValues(a[k], b[k], `${pointer}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`));
    }
    return JSON.stringify(a) === JSON.stringify(b) ? [] : [{ field: pointer, render: a, engine: b }];
}

const isK8s = (type: string): boolean => type.startsWith("kubernetes:") && !type.startsWith("kubernetes:index:");

export interface FidelityInput {
    /** The render directory's files: name → text. */
    readonly renderFiles: Readonly<Record<string, string>>;
    /** deployment.resources of the plain export. */
    readonly state: readonly StateResource[];
    /** deployment.resources of the --show-secrets export. */
    readonly secretsState: readonly StateResource[];
    /** Plaintexts of the stack file's secure values as the disposable stack got them. */
    readonly securePlaintexts: readonly string[];
}

export interface FidelityResult {
    readonly differences: Difference[];
    readonly objects: number;
    readonly resources: number;
    /** How many generated credentials were looked for in the plaintext export. */
    readonly credentials: number;
}

export function checkFidelity(input: FidelityInput): FidelityResult {
    const differences: Difference[] = [];
    const credentials = credentialValues(input.secretsState, input.securePlaintexts);
    const redacted = credentialValues(input.secretsState, input.securePlaintexts, true);
    // The mock harness runs index.ts without the root Stack resource the language host registers:
    // its top-level resources have no parent where the engine records the Stack.
    const root = input.secretsState.find((r) => r.type === "pulumi:pulumi:Stack")?.urn;

    // Engine side: every resource the program registered (not the engine's own default providers and root stack).
    const engine = new Map<string, StateResource>();
    for (const r of input.secretsState) {
        if (r.type.startsWith("pulumi:providers:") || r.type === "pulumi:pulumi:Stack") {
            continue;
        }
        engine.set(r.urn, r);
    }

    // Render side: resources.json and one YAML per Kubernetes object (first line: "# <urn>").
    const resourcesText = input.renderFiles["resources.json"];
    if (resourcesText === undefined) {
        throw new Error("the render directory has no resources.json");
    }
    const rendered = JSON.parse(resourcesText) as Array<Obj & { urn: string; type: string; custom: boolean; file?: string; inputs?: Obj; parent: string | null; options: Obj }>;
    const objects = new Map<string, unknown>();
    for (const [name, text] of Object.entries(input.renderFiles)) {
        if (!name.endsWith(".yaml")) {
            continue;
        }
        const urn = /^# (urn:pulumi:\S+)/.exec(text)?.[1];
        if (!urn) {
            throw new Error(`render file ${name} does not start with "# <urn>"`);
        }
        objects.set(urn, yaml.load(text));
    }

    const renderUrns = new Set(rendered.map((r) => r.urn));
    for (const r of rendered) {
        if (!engine.has(r.urn)) {
            differences.push({ kind: "resource", urn: r.urn, field: "", render: "present", engine: "missing" });
        }
    }
    for (const urn of engine.keys()) {
        if (!renderUrns.has(urn)) {
            differences.push({ kind: "resource", urn, field: "", render: "missing", engine: "present" });
        }
    }

    let objectCount = 0;
    for (const r of rendered) {
        const e = engine.get(r.urn);
        if (!e) {
            continue;
        }
        // Resource options and parentage, as the engine recorded them.
        const opts = r.options as { protect: boolean; retainOnDelete: boolean; import: string | null; ignoreChanges: string[] };
        const same: [string, unknown, unknown][] = [
            ["/parent", r.parent ?? null, e.parent === root ? null : e.parent ?? null],
            ["/options/protect", opts.protect, Boolean(e.protect)],
            ["/options/retainOnDelete", opts.retainOnDelete, Boolean(e.retainOnDelete)],
            ["/options/ignoreChanges", [...opts.ignoreChanges].sort(), [...(e.ignoreChanges ?? [])].sort()],
            ["/options/import", opts.import, e.importID ?? null],
        ];
        for (const [field, a, b] of same) {
            if (JSON.stringify(a) !== JSON.stringify(b)) {
                differences.push({ kind: "resource", urn: r.urn, field, render: a, engine: b });
            }
        }
        if (!r.custom || r.type === "pulumi:pulumi:StackReference") {
            continue;
        }
        const engineInputs = redact(e.inputs ?? {}, redacted);
        if (isK8s(r.type)) {
            objectCount++;
            const obj = objects.get(r.urn);
            if (obj === undefined) {
                differences.push({ kind: "object", urn: r.urn, field: "", render: `no YAML file (resources.json names ${String(r.file)})`, engine: "present" });
                continue;
            }
            for (const d of diffValues(obj, engineInputs)) {
                differences.push({ kind: "object", urn: r.urn, ...d });
            }
        } else {
            for (const d of diffValues(r.inputs ?? {}, engineInputs)) {
                differences.push({ kind: "inputs", urn: r.urn, ...d });
            }
        }
    }

    // No generated credential in plaintext anywhere in the export.
    const plainText = JSON.stringify(input.state);
    for (const c of credentials) {
        if (plainText.includes(c)) {
            const where = input.state.find((r) => JSON.stringify(r).includes(c));
            differences.push({ kind: "leak", urn: where?.urn ?? "(deployment)", field: "", render: "redacted", engine: `plaintext credential ${c.slice(0, 3)}…(${c.length} chars)` });
        }
    }
    return { differences, objects: objectCount, resources: engine.size, credentials: credentials.length };
}

/** Human-readable lines for the differences. */
export function formatDifferences(diffs: readonly Difference[]): string[] {
    const show = (v: unknown): string => (v === undefined ? "(absent)" : JSON.stringify(v));
    return diffs.map((d) => `${d.kind} ${d.urn}${d.field ? ` field ${d.field}` : ""}: render ${show(d.render)} != engine ${show(d.engine)}`);
}

/** Plaintexts the disposable stack got for the stack file's secure values (stackfile.ts). */
export function securePlaintextsOf(stackFileText: string): string[] {
    return prepareStackFile(stackFileText).secrets.map((s) => s.value);
}

function readState(file: string): StateResource[] {
    const doc = JSON.parse(fs.readFileSync(file, "utf8")) as { deployment?: { resources?: StateResource[] } };
    if (!doc.deployment) {
        throw new Error(`${file} is not a 'pulumi stack export' (no deployment)`);
    }
    return doc.deployment.resources ?? [];
}

function main(argv: string[]): number {
    const args: Record<string, string> = {};
    const allowed = ["--render", "--state", "--secrets-state", "--stack-file"];
    for (let i = 0; i < argv.length; i += 2) {
        if (!allowed.includes(argv[i]) || argv[i + 1] === undefined) {
            console.error(`fidelity: bad argument '${argv[i]}' (usage: ${allowed.map((a) => `${a} <path>`).join(" ")})`);
            return 2;
        }
        args[argv[i].slice(2)] = argv[i + 1];
    }
    const missing = allowed.filter((a) => !args[a.slice(2)]);
    if (missing.length > 0) {
        console.error(`fidelity: missing ${missing.join(", ")}`);
        return 2;
    }
    let result: FidelityResult;
    try {
        const renderFiles = Object.fromEntries(
            fs.readdirSync(args.render).map((f) => [f, fs.readFileSync(path.join(args.render, f), "utf8")]),
        );
        result = checkFidelity({
            renderFiles,
            state: readState(args.state),
            secretsState: readState(args["secrets-state"]),
            securePlaintexts: securePlaintextsOf(fs.readFileSync(args["stack-file"], "utf8")),
        });
    } catch (e) {
        console.error(`fidelity: ${(e as Error).message}`);
        return 2;
    }
    for (const line of formatDifferences(result.differences)) {
        console.error(line);
    }
    const summary = {
        project: PROJECT, ok: result.differences.length === 0, objects: result.objects,
        resources: result.resources, credentials: result.credentials, differences: result.differences.length,
    };
    console.log(JSON.stringify(summary));
    return summary.ok ? 0 : 1;
}

if (require.main === module) {
    process.exitCode = main(process.argv.slice(2));
}
