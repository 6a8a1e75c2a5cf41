// The policy pack's own analyzer, driven the way the Pulumi engine drives it: the pack is started with
// the entry point the engine's Node.js policy launcher uses (`@pulumi/pulumi/cmd/run-policy-pack
// <engine-address> .` from the pack's own node_modules, in the pack's directory; see
// tools/realengine/analyzer-policy-nodejs.sh), which type-checks index.ts, builds the PolicyPack and
// prints the port of its gRPC Analyzer service. This client then calls GetAnalyzerInfo, Configure,
// ConfigureStack, Analyze and AnalyzeStack with protobuf requests, using the pack's own copies of
// @grpc/grpc-js and the generated analyzer protocol. Nothing of the analysis happens here.
/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any -- generated protobuf/grpc JS without types */

import { ChildProcess, spawn } from "child_process";
import * as path from "path";

export const POLICY_DIR = path.resolve(__dirname, "..", "..", "policy");

export type EnforcementLevel = "advisory" | "mandatory" | "disabled" | "remediate";
const LEVELS: readonly EnforcementLevel[] = ["advisory", "mandatory", "disabled", "remediate"]; // protobuf enum order

export interface ConfigSchema {
    readonly properties: Record<string, Record<string, unknown>>;
    readonly required: string[];
}

export interface AnalyzerPolicy {
    readonly name: string;
    readonly description: string;
    readonly enforcementLevel: EnforcementLevel;
    readonly configSchema?: ConfigSchema;
}

export interface AnalyzerInfo {
    readonly name: string;
    readonly version: string;
    readonly policies: AnalyzerPolicy[];
}

/** One policy's configuration as the engine sends it (after reconciling defaults and the user's file). */
export interface PolicyConfig {
    readonly enforcementLevel: EnforcementLevel;
    readonly properties: Record<string, unknown>;
}

export interface Diagnostic {
    readonly policyName: string;
    readonly policyPackName: string;
    readonly policyPackVersion: string;
    readonly description: string;
    /** As @pulumi/policy's server sends it: the description, a newline, the violation's message. */
    readonly message: string;
    readonly enforcementLevel: EnforcementLevel;
    /** The URN the policy named; "" when it named none. */
    readonly urn: string;
}

export interface NotApplicable {
    readonly policyName: string;
    readonly reason: string;
}

export interface Analysis {
    readonly diagnostics: Diagnostic[];
    readonly notApplicable: NotApplicable[];
}

/** A resource as the engine hands it to the analyzer (Analyze: its inputs; AnalyzeStack: its outputs). */
export interface AnalyzerResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly properties: Record<string, unknown>;
    readonly options: {
        readonly protect: boolean;
        readonly ignoreChanges: string[];
        readonly deleteBeforeReplace?: boolean;
        readonly additionalSecretOutputs: string[];
        readonly aliases: string[];
        readonly parent?: string;
    };
    readonly provider?: { readonly urn: string; readonly type: string; readonly name: string; readonly properties: Record<string, unknown> };
    readonly parent?: string;
    readonly dependencies: string[];
    readonly propertyDependencies: Record<string, string[]>;
}

export interface StackInfo {
    readonly stack: string;
    readonly project: string;
    readonly organization: string;
    readonly tags: ReadonlyMap<string, string>;
    readonly dryRun: boolean;
}

export class PackAnalyzer {
    private constructor(private readonly child: ChildProcess, private readonly client: any, private readonly m: any,
        private readonly output: () => string) {}

    /**
     * Starts the pack in `packDir` (default: the repository's policy/) and connects to it. `signal`
     * ends a start that is no longer needed (the process is killed, the promise rejects).
     */
    static async start(packDir = POLICY_DIR, timeoutMs = 120_000, signal?: AbortSignal): Promise<PackAnalyzer> {
        const fromPack = (m: string): any => require(require.resolve(m, { paths: [packDir] }));
        const modules = {
            grpc: fromPack("@grpc/grpc-js"),
            pb: fromPack("@pulumi/pulumi/proto/analyzer_pb"),
            services: fromPack("@pulumi/pulumi/proto/analyzer_grpc_pb"),
            struct: fromPack("google-protobuf/google/protobuf/struct_pb"),
            empty: fromPack("google-protobuf/google/protobuf/empty_pb"),
        };
        const entry = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [packDir] });
        // The engine address is not used by the analyzer; the engine passes its own.
        const child = spawn(process.execPath, [entry, "127.0.0.1:0", "."], { cwd: packDir, stdio: ["ignore", "pipe", "pipe"] });
        let stderr = "";
        child.stderr!.on("data", (d: Buffer) => {
            stderr += d.toString();
        });
        const port = await new Promise<number>((resolve, reject) => {
            let out = "";
            const fail = (why: string): void => {
                clearTimeout(timer);
                signal?.removeEventListener("abort", aborted);
                child.kill("SIGTERM");
                reject(new Error(`the policy pack in ${packDir} ${why}${stderr ? `:\n${stderr}` : ""}`));
            };
            const aborted = (): void => fail("was not needed any more");
            const timer = setTimeout(() => fail(`did not print its port within ${timeoutMs} ms`), timeoutMs);
            signal?.addEventListener("abort", aborted, { once: true });
            child.stdout!.on("data", (d: Buffer) => {
                out += d.toString();
                const m = /^(\d+)\s*$/m.exec(out);
                if (m) {
                    clearTimeout(timer);
                    signal?.removeEventListener("abort", aborted);
                    resolve(Number(m[1]));
                }
            });
            child.on("exit", (code) => fail(`exited with ${code} before serving`));
        });
        const client = new modules.services.AnalyzerClient(`127.0.0.1:${port}`, modules.grpc.credentials.createInsecure(),
            { "grpc.max_receive_message_length": 400 * 1024 * 1024 });
        return new PackAnalyzer(child, client, modules, () => stderr);
    }

    private call<T>(method: string, req: unknown): Promise<T> {
        return new Promise((resolve, reject) => {
            this.client[method](req, (err: Error | null, resp: T) => {
                if (err) {
                    const log = this.output().trim();
                    reject(new Error(`${method}: ${err.message}${log ? `\n${log}` : ""}`, { cause: err }));
                } else {
                    resolve(resp);
                }
            });
        });
    }

    async info(): Promise<AnalyzerInfo> {
        const resp: any = await this.call("getAnalyzerInfo", new this.m.empty.Empty());
        return {
            name: resp.getName(),
            version: resp.getVersion(),
            policies: resp.getPoliciesList().map((p: any): AnalyzerPolicy => {
                const schema = p.getConfigschema();
                return {
                    name: p.getName(), description: p.getDescription(), enforcementLevel: LEVELS[p.getEnforcementlevel()],
                    configSchema: schema
                        ? { properties: schema.getProperties()?.toJavaScript() ?? {}, required: schema.getRequiredList() }
                        : undefined,
                };
            }),
        };
    }

    /** Configure: the policy config, every policy's entry (the engine sends them all). */
    async configure(config: Readonly<Record<string, PolicyConfig>>): Promise<void> {
        const req = new this.m.pb.ConfigureAnalyzerRequest();
        for (const [name, c] of Object.entries(config)) {
            const pc = new this.m.pb.PolicyConfig();
            pc.setEnforcementlevel(LEVELS.indexOf(c.enforcementLevel));
            pc.setProperties(this.m.struct.Struct.fromJavaScript(c.properties));
            req.getPolicyconfigMap().set(name, pc);
        }
        await this.call("configure", req);
    }

    /** ConfigureStack: stack, project, organization, dry-run flag and the stack tags. */
    async configureStack(s: StackInfo): Promise<void> {
        const req = new this.m.pb.AnalyzerStackConfigureRequest();
        req.setStack(s.stack);
        req.setProject(s.project);
        req.setOrganization(s.organization);
        req.setDryRun(s.dryRun);
        for (const [k, v] of s.tags) {
            req.getTagsMap().set(k, v);
        }
        await this.call("configureStack", req);
    }

    private options(r: AnalyzerResource): any {
        const o = new this.m.pb.AnalyzerResourceOptions();
        o.setProtect(r.options.protect);
        o.setIgnorechangesList(r.options.ignoreChanges);
        if (r.options.deleteBeforeReplace !== undefined) {
            o.setDeletebeforereplace(r.options.deleteBeforeReplace);
            o.setDeletebeforereplacedefined(true);
        }
        o.setAdditionalsecretoutputsList(r.options.additionalSecretOutputs);
        o.setAliasesList(r.options.aliases);
        if (r.options.parent) {
            o.setParent(r.options.parent);
        }
        return o;
    }

    private provider(r: AnalyzerResource): any {
        if (!r.provider) {
            return undefined;
        }
        const p = new this.m.pb.AnalyzerProviderResource();
        p.setType(r.provider.type);
        p.setProperties(this.m.struct.Struct.fromJavaScript(r.provider.properties));
        p.setUrn(r.provider.urn);
        p.setName(r.provider.name);
        return p;
    }

    private static analysis(resp: any): Analysis {
        return {
            diagnostics: resp.getDiagnosticsList().map((d: any): Diagnostic => ({
                policyName: d.getPolicyname(), policyPackName: d.getPolicypackname(), policyPackVersion: d.getPolicypackversion(),
                description: d.getDescription(), message: d.getMessage(), enforcementLevel: LEVELS[d.getEnforcementlevel()], urn: d.getUrn(),
            })),
            notApplicable: resp.getNotApplicableList().map((n: any): NotApplicable => ({ policyName: n.getPolicyName(), reason: n.getReason() })),
        };
    }

    /** Analyze: the resource policies over one resource's inputs. */
    async analyze(r: AnalyzerResource): Promise<Analysis> {
        const req = new this.m.pb.AnalyzeRequest();
        req.setType(r.type);
        req.setProperties(this.m.struct.Struct.fromJavaScript(r.properties));
        req.setUrn(r.urn);
        req.setName(r.name);
        req.setOptions(this.options(r));
        const p = this.provider(r);
        if (p) {
            req.setProvider(p);
        }
        return PackAnalyzer.analysis(await this.call("analyze", req));
    }

    /** AnalyzeStack: the stack policies over every resource's outputs, parents and dependencies. */
    async analyzeStack(resources: readonly AnalyzerResource[]): Promise<Analysis> {
        const req = new this.m.pb.AnalyzeStackRequest();
        req.setResourcesList(resources.map((r) => {
            const a = new this.m.pb.AnalyzerResource();
            a.setType(r.type);
            a.setProperties(this.m.struct.Struct.fromJavaScript(r.properties));
            a.setUrn(r.urn);
            a.setName(r.name);
            a.setOptions(this.options(r));
            const p = this.provider(r);
            if (p) {
                a.setProvider(p);
            }
            if (r.parent) {
                a.setParent(r.parent);
            }
            a.setDependenciesList(r.dependencies);
            for (const [k, urns] of Object.entries(r.propertyDependencies)) {
                const deps = new this.m.pb.AnalyzerPropertyDependencies();
                deps.setUrnsList(urns);
                a.getPropertydependenciesMap().set(k, deps);
            }
            return a;
        }));
        return PackAnalyzer.analysis(await this.call("analyzeStack", req));
    }

    /** Closes the connection and ends the pack's process. */
    async stop(): Promise<void> {
        this.client.close();
        if (this.child.exitCode === null && this.child.signalCode === null) {
            const exited = new Promise((r) => this.child.once("exit", r));
            this.child.kill("SIGTERM");
            await exited;
        }
    }
}
