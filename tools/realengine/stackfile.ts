// Prepares a copy of a stack file for a disposable real-engine stack:
//   ts-node --transpile-only tools/realengine/stackfile.ts --in <Pulumi.x.yaml> --out <copy> --secrets <secrets.json>
//
// The copy has the original's config without the secrets-provider state (encryptionsalt,
// encryptedkey, secretsprovider) and without its `secure:` values: those were encrypted for another
// stack and cannot be decrypted here. secrets.json lists each removed value as
// {"path": "<key in `pulumi config set --path` syntax>", "value": "<plaintext>"}; preview.sh sets them
// again with `pulumi config set-all --path --secret`, encrypted for the disposable stack. The
// plaintext is the offline placeholder the mock harness uses for the same key (tools/harness/secrets.ts
// securePlaceholder), so the real engine and the offline render run the program with equal config.
// Exit codes: 0 written, 2 bad usage or unreadable stack file.

import * as fs from "fs";
import * as yaml from "js-yaml";
import { PROJECT, securePlaceholder } from "../harness";

export interface SecureValue {
    /** Config key path, e.g. "ternent-postgres:spacesReadWriteSecret" or "ternent-postgres:walg.sha256". */
    readonly path: string;
    readonly value: string;
}

interface StackDoc {
    config?: Record<string, unknown>;
    [key: string]: unknown;
}

const isSecure = (v: unknown): v is { secure: string } =>
    typeof v === "object" && v !== null && !Array.isArray(v) &&
    Object.keys(v).length === 1 && typeof (v as { secure?: unknown }).secure === "string";

/** Removes every `secure:` value from a config value, collecting them with their paths. */
function strip(path: string, value: unknown, found: SecureValue[]): unknown {
    if (isSecure(value)) {
        found.push({ path, value: securePlaceholder(path) });
        return undefined;
    }
    if (Array.isArray(value)) {
        // Arrays keep their positions: a removed element is set again by index.
        return value.map((v, i) => strip(`${path}[${i}]`, v, found) ?? null);
    }
    if (typeof value === "object" && value !== null) {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) {
            const s = strip(`${path}.${k}`, v, found);
            if (s !== undefined) {
                out[k] = s;
            }
        }
        return out;
    }
    return value;
}

/** Splits a stack file into its plain part and the secure values to set again. */
export function prepareStackFile(text: string): { doc: StackDoc; secrets: SecureValue[] } {
    const loaded = yaml.load(text);
    if (loaded !== undefined && loaded !== null && (typeof loaded !== "object" || Array.isArray(loaded))) {
        throw new Error("the stack file is not a YAML mapping");
    }
    const doc: StackDoc = { ...((loaded as StackDoc | null) ?? {}) };
    delete doc.encryptionsalt;
    delete doc.encryptedkey;
    delete doc.secretsprovider;
    const secrets: SecureValue[] = [];
    if (doc.config) {
        const config: Record<string, unknown> = {};
        for (const [key, value] of Object.entries(doc.config)) {
            const fullKey = key.includes(":") ? key : `${PROJECT}:${key}`;
            const s = strip(fullKey, value, secrets);
            if (s !== undefined) {
                config[key] = s;
            }
        }
        doc.config = config;
    }
    return { doc, secrets };
}

function main(argv: string[]): number {
    const args: Record<string, string> = {};
    for (let i = 0; i < argv.length; i += 2) {
        if (!["--in", "--out", "--secrets"].includes(argv[i]) || argv[i + 1] === undefined) {
            process.stderr.write(`stackfile.ts: bad argument '${argv[i]}' (usage: --in <file> --out <file> --secrets <file>)\n`);
            return 2;
        }
        args[argv[i].slice(2)] = argv[i + 1];
    }
    if (!args.in || !args.out || !args.secrets) {
        process.stderr.write("stackfile.ts: --in, --out and --secrets are required\n");
        return 2;
    }
    let prepared;
    try {
        prepared = prepareStackFile(fs.readFileSync(args.in, "utf8"));
    } catch (e) {
        process.stderr.write(`stackfile.ts: ${args.in}: ${(e as Error).message}\n`);
        return 2;
    }
    fs.writeFileSync(args.out, yaml.dump(prepared.doc, { lineWidth: -1 }));
    fs.writeFileSync(args.secrets, JSON.stringify(prepared.secrets, null, 2) + "\n", { mode: 0o600 });
    return 0;
}

if (require.main === module) {
    process.exitCode = main(process.argv.slice(2));
}
