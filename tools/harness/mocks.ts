// The engine stand-in (pulumi.runtime.setMocks' Mocks): echoes inputs as outputs and fills what a
// provider computes (generated passwords, key pairs, ids) with deterministic values derived from the
// resource name, so two runs of a stack render the same bytes.

import * as crypto from "crypto";
import type { runtime } from "@pulumi/pulumi";

function stableHex(seed: string, bytes: number): string {
    let out = "";
    let i = 0;
    while (out.length < bytes * 2) {
        out += crypto.createHash("sha256").update(`${seed}:${i++}`).digest("hex");
    }
    return out.slice(0, bytes * 2);
}

/** A deterministic stand-in for random.RandomPassword's `result`: `length` characters of its alphabet. */
export function mockPassword(name: string, inputs: Record<string, unknown>): string {
    let alphabet = "";
    if (inputs.lower !== false) alphabet += "abcdefghijklmnopqrstuvwxyz";
    if (inputs.upper !== false) alphabet += "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
    if (inputs.numeric !== false) alphabet += "0123456789";
    if (inputs.special !== false) alphabet += typeof inputs.overrideSpecial === "string" ? inputs.overrideSpecial : "!@#$%&*()-_=+[]{}<>:?";
    const length = Number(inputs.length ?? 16);
    const bytes = Buffer.from(stableHex(`password:${name}`, length), "hex");
    return Array.from(bytes, (b) => alphabet[b % alphabet.length]).join("");
}

export class ProgramMocks implements runtime.Mocks {
    /** @param previousOutputs what a StackReference to the stack itself (its previous deployment) reads. */
    constructor(readonly previousOutputs: Record<string, unknown> = {}) {}

    newResource(args: runtime.MockResourceArgs): runtime.MockResourceResult {
        const state: Record<string, unknown> = { ...args.inputs };
        let id: string | undefined = args.id || `${args.name}-id`;
        switch (args.type) {
            case "random:index/randomPassword:RandomPassword":
                state.result = mockPassword(args.name, args.inputs);
                break;
            case "random:index/randomId:RandomId": {
                const bytes = Number(args.inputs.byteLength ?? 8);
                state.hex = stableHex(args.name, bytes);
                state.b64Std = Buffer.from(state.hex as string, "hex").toString("base64");
                id = state.b64Std as string;
                break;
            }
            case "digitalocean:index/spacesKey:SpacesKey":
                state.accessKey = `MOCKAK${stableHex(`ak:${args.name}`, 8).toUpperCase()}`;
                state.secretKey = `mocksk-${stableHex(`sk:${args.name}`, 16)}`;
                break;
            case "digitalocean:index/spacesBucket:SpacesBucket":
                state.bucketDomainName = `${args.inputs.name}.${args.inputs.region}.digitaloceanspaces.com`;
                state.endpoint = `${args.inputs.region}.digitaloceanspaces.com`;
                state.bucketUrn = `do:space:${args.inputs.name}`;
                id = String(args.inputs.name);
                break;
            case "pulumi:pulumi:StackReference":
                state.outputs = this.previousOutputs;
                state.secretOutputNames = [];
                break;
            default:
                if (args.type.startsWith("kubernetes:")) {
                    const meta = (args.inputs.metadata ?? {}) as { name?: string; namespace?: string };
                    id = args.id || (meta.namespace ? `${meta.namespace}/${meta.name ?? args.name}` : meta.name ?? args.name);
                }
        }
        return { id, state };
    }

    call(args: runtime.MockCallArgs): Record<string, unknown> {
        return args.inputs as Record<string, unknown>;
    }
}
