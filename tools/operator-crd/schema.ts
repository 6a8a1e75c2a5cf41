// Validates an object against a CustomResourceDefinition's openAPIV3Schema the way the API server
// treats a structural schema, with ajv (JSON Schema) doing the checking. The schema is the operator's
// own (tools/operator-crd/fetch.sh puts both of its forms into the cache), never a hand-written copy.
//
// What is translated, and how (Kubernetes "structural schema" semantics → JSON Schema):
//   type, properties, items, required, enum, pattern, minimum/maximum, min/maxLength, min/maxItems,
//   format, oneOf/anyOf/allOf/not   as they are
//   nullable: true                  null allowed too (without it a null is an error: the server prunes it)
//   additionalProperties            as it is (a schema or a boolean)
//   an object with neither additionalProperties nor x-kubernetes-preserve-unknown-fields
//                                   unknown fields are errors: the server silently prunes them (kubectl's
//                                   --validate=strict refuses them), and a pruned field is a setting lost
//   x-kubernetes-preserve-unknown-fields: true   anything under it is accepted (not checked further)
//   x-kubernetes-int-or-string      integer or string
//   metadata at the root            accepted (the API server validates ObjectMeta itself)
// Patterns: Go's RE2 syntax, compiled as JavaScript regular expressions without the u flag (the same for
// every pattern the operator's schemas hold). Formats: those the operator's schemas use (uuid, int32) plus date-time; any other format fails loudly
// here rather than being skipped.

import Ajv, { ErrorObject, ValidateFunction } from "ajv";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import { cacheDir } from "../../lab";
import OPERATOR from "../../lib/postgres-operator.json";

/** The parts of a CustomResourceDefinition this module reads. */
export interface Crd {
    readonly spec: {
        readonly group: string;
        readonly names: { readonly kind: string };
        readonly versions: readonly { readonly name: string; readonly schema?: { readonly openAPIV3Schema?: unknown } }[];
    };
}

type Schema = Record<string, unknown>;

const FORMATS: Record<string, { type: "string" | "number"; validate: (v: never) => boolean }> = {
    uuid: { type: "string", validate: (v: string) => /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/.test(v) },
    int32: { type: "number", validate: (v: number) => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31 },
    "date-time": { type: "string", validate: (v: string) => !Number.isNaN(Date.parse(v)) && /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i.test(v) },
};

const COPIED = [
    "enum", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "minLength", "maxLength",
    "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties", "required", "format",
] as const;

/** The JSON Schema equivalent of one openAPIV3Schema node (see the header for the rules). */
export function toJsonSchema(node: unknown, at = "", root = true): Schema {
    if (node === null || typeof node !== "object" || Array.isArray(node)) throw new Error(`schema node at ${at || "/"} is not an object`);
    const s = node as Schema;
    const out: Schema = {};
    const preserve = s["x-kubernetes-preserve-unknown-fields"] === true;
    const nullable = s.nullable === true;
    if (s["x-kubernetes-int-or-string"] === true) {
        out.anyOf = [{ type: "integer" }, { type: "string" }, ...(nullable ? [{ type: "null" }] : [])];
    } else if (typeof s.type === "string") {
        out.type = nullable ? [s.type, "null"] : s.type;
    }
    for (const k of COPIED) if (s[k] !== undefined) out[k] = s[k];
    if (typeof s.format === "string" && !(s.format in FORMATS)) {
        throw new Error(`format "${s.format}" at ${at || "/"} is not implemented by tools/operator-crd/schema.ts`);
    }
    if (Array.isArray(out.enum) && nullable) out.enum = [...(out.enum as unknown[]), null];
    if (s.properties !== undefined) {
        out.properties = Object.fromEntries(
            Object.entries(s.properties as Record<string, unknown>).map(([k, v]) => [k, toJsonSchema(v, `${at}/properties/${k}`, false)]),
        );
    }
    if (root) out.properties = { metadata: { type: "object" }, ...((out.properties as Schema | undefined) ?? {}) };
    if (s.items !== undefined) out.items = toJsonSchema(s.items, `${at}/items`, false);
    if (typeof s.additionalProperties === "boolean") out.additionalProperties = s.additionalProperties;
    else if (s.additionalProperties !== undefined) out.additionalProperties = toJsonSchema(s.additionalProperties, `${at}/additionalProperties`, false);
    else if (s.type === "object" && !preserve) out.additionalProperties = false;
    for (const k of ["oneOf", "anyOf", "allOf"] as const) {
        if (Array.isArray(s[k])) out[k] = (s[k] as unknown[]).map((x, i) => toJsonSchema(x, `${at}/${k}/${i}`, false));
    }
    if (s.not !== undefined) out.not = toJsonSchema(s.not, `${at}/not`, false);
    return out;
}

function describe(e: ErrorObject): string {
    const where = e.instancePath === "" ? "(root)" : e.instancePath.slice(1).split("/").join(".");
    if (e.keyword === "additionalProperties") {
        return `${where}: unknown field "${(e.params as { additionalProperty: string }).additionalProperty}" (the API server would prune it)`;
    }
    if (e.keyword === "enum") return `${where}: ${e.message} ${JSON.stringify((e.params as { allowedValues: unknown[] }).allowedValues)}`;
    return `${where}: ${e.message}`;
}

/** A validator for the served version of the CRD (default: its storage/first version): returns the problems, [] when valid. */
export function crdValidator(crd: Crd, version?: string): (obj: unknown) => string[] {
    const v = version ? crd.spec.versions.find((x) => x.name === version) : crd.spec.versions[0];
    if (!v?.schema?.openAPIV3Schema) throw new Error(`CRD ${crd.spec.names.kind}: no openAPIV3Schema for version ${version ?? "(first)"}`);
    // Patterns are Go (RE2) regular expressions; without the u flag JavaScript accepts the escapes Go does
    // (the operator's maintenanceWindows pattern escapes a space, which the u flag refuses).
    const ajv = new Ajv({ allErrors: true, strict: false, unicodeRegExp: false });
    for (const [name, f] of Object.entries(FORMATS)) ajv.addFormat(name, f as never);
    const validate: ValidateFunction = ajv.compile(toJsonSchema(v.schema.openAPIV3Schema));
    return (obj) => (validate(obj) ? [] : (validate.errors ?? []).map(describe));
}

/** What fetch.sh writes into its status.json. */
export interface OperatorCrdStatus {
    readonly ok: boolean;
    readonly module: string;
    readonly version: string;
    readonly crd: string;
    readonly registeredCrd: string;
    readonly reason: string | null;
}

/** The pinned operator release (lib/postgres-operator.json). */
export const OPERATOR_RELEASE = OPERATOR;

function statusFile(): string {
    return path.join(cacheDir(), "operator-crd", OPERATOR.version, "status.json");
}

/** Why the operator's CRDs are not available here, or undefined. */
export function operatorCrdSkipReason(): string | undefined {
    const file = statusFile();
    if (!fs.existsSync(file)) return `the operator's CRD is not fetched (${file} missing): run bash tools/operator-crd/fetch.sh`;
    const s = JSON.parse(fs.readFileSync(file, "utf8")) as OperatorCrdStatus;
    if (!s.ok) return `tools/operator-crd/fetch.sh failed: ${s.reason ?? "unknown reason"}`;
    for (const f of [s.crd, s.registeredCrd]) if (!fs.existsSync(f)) return `${f} missing: run bash tools/operator-crd/fetch.sh`;
    return undefined;
}

/** Both forms of the operator's postgresql CRD at the pinned version: as installed (manifest) and as it registers itself. */
export function operatorCrds(): { readonly manifest: Crd; readonly registered: Crd } {
    const reason = operatorCrdSkipReason();
    if (reason) throw new Error(reason);
    const s = JSON.parse(fs.readFileSync(statusFile(), "utf8")) as OperatorCrdStatus;
    return {
        manifest: yaml.load(fs.readFileSync(s.crd, "utf8")) as Crd,
        registered: JSON.parse(fs.readFileSync(s.registeredCrd, "utf8")) as Crd,
    };
}

/** The directory of the downloaded module (its example manifests), from fetch.sh's status. */
export function operatorModuleDir(): string {
    const s = JSON.parse(fs.readFileSync(statusFile(), "utf8")) as OperatorCrdStatus & { dir: string | null };
    if (!s.dir) throw new Error("fetch.sh recorded no module directory: run bash tools/operator-crd/fetch.sh");
    return s.dir;
}
