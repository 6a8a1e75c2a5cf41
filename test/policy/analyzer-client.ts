// Talks to the real policy pack the way the Pulumi engine does: starts it with the entry point the
// Node.js language host uses for policy packs (@pulumi/pulumi's cmd/run-policy-pack from the pack's
// own node_modules, which type-checks index.ts with ts-node and the pack's tsconfig.json; the
// PolicyPack prints its gRPC port), then calls GetAnalyzerInfo, Configure, ConfigureStack, Analyze
// and AnalyzeStack with protobuf requests built from the same engine resources the offline runner
// uses. The tests compare both, so tools/policy-run.ts is checked against @pulumi/policy's own server.
/* eslint-disable @typescript-eslint/no-require-imports, @typescript-eslint/no-explicit-any -- generated protobuf/grpc JS without types */

import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { EngineResource, ReconciledConfig } from "../../tools/policy-run";

const POLICY_DIR = path.resolve(__dirname, "../../policy");
const fromPack = (m: string): any => require(require.resolve(m, { paths: [POLICY_DIR] }));

const grpc = fromPack("@grpc/grpc-js");
const pb = fromPack("@pulumi/pulumi/proto/analyzer_pb");
const services = fromPack("@pulumi/pulumi/proto/analyzer_grpc_pb");
const structpb = fromPack("google-protobuf/google/protobuf/struct_pb");
const emptypb = fromPack("google-protobuf/google/protobuf/empty_pb");

const LEVEL_TO_PB: Record<string, number> = { advisory: 0, mandatory: 1, disabled: 2, remediate: 3 };
const LEVEL_FROM_PB = ["advisory", "mandatory", "disabled", "remediate"];

export interface ServerDiagnostic {
    readonly policyName: string;
    readonly urn: string;
    readonly message: string;
    readonly enforcementLevel: string;
}

export interface PolicyInfo {
    readonly name: string;
    readonly enforcementLevel: string;
    readonly configSchema?: Record<string, unknown>;
}

export class PackServer {
    private constructor(private readonly child: ChildProcess, private readonly client: any) {}

    /** Starts the pack in its directory, as the language host runs it (engine address unused here). */
    static async start(timeoutMs = 120_000): Promise<PackServer> {
        const runPolicyPack = require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [POLICY_DIR] });
        const child = spawn(process.execPath, [runPolicyPack, "127.0.0.1:0", "."], {
            cwd: POLICY_DIR, stdio: ["ignore", "pipe", "pipe"],
        });
        let stderr = "";
        child.stderr!.on("data", (d: Buffer) => {
            stderr += d.toString();
        });
        const port = await new Promise<number>((resolve, reject) => {
            let out = "";
            const timer = setTimeout(() => reject(new Error(`policy pack did not print its port in ${timeoutMs} ms: ${stderr}`)), timeoutMs);
            child.stdout!.on("data", (d: Buffer) => {
                out += d.toString();
                const m = /^(\d+)\s*$/m.exec(out);
                if (m) {
                    clearTimeout(timer);
                    resolve(Number(m[1]));
                }
            });
            child.on("exit", (code) => {
                clearTimeout(timer);
                reject(new Error(`policy pack exited with ${code} before serving: ${stderr}`));
            });
        });
        const client = new services.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
        return new PackServer(child, client);
    }

    private call<T>(method: string, req: unknown): Promise<T> {
        return new Promise((resolve, reject) => {
            this.client[method](req, (err: Error | null, resp: T) => (err ? reject(err) : resolve(resp)));
        });
    }

    async info(): Promise<{ name: string; version: string; policies: PolicyInfo[] }> {
        const resp: any = await this.call("getAnalyzerInfo", new emptypb.Empty());
        return {
            name: resp.getName(), version: resp.getVersion(),
            policies: resp.getPoliciesList().map((p: any) => ({
                name: p.getName(), enforcementLevel: LEVEL_FROM_PB[p.getEnforcementlevel()],
                configSchema: p.getConfigschema()?.getProperties()?.toJavaScript(),
            })),
        };
    }

    /** Configure + ConfigureStack, as the engine does before analysing. */
    async configure(config: ReconciledConfig, stack: string, project: string, tags: ReadonlyMap<string, string>): Promise<void> {
        const req = new pb.ConfigureAnalyzerRequest();
        const map = req.getPolicyconfigMap();
        for (const [name, c] of Object.entries(config)) {
            const pc = new pb.PolicyConfig();
            pc.setEnforcementlevel(LEVEL_TO_PB[c.enforcementLevel ?? "advisory"]);
            pc.setProperties(structpb.Struct.fromJavaScript(c.properties));
            map.set(name, pc);
        }
        await this.call("configure", req);
        const sreq = new pb.AnalyzerStackConfigureRequest();
        sreq.setStack(stack);
        sreq.setProject(project);
        sreq.setDryRun(true);
        for (const [k, v] of tags) {
            sreq.getTagsMap().set(k, v);
        }
        await this.call("configureStack", sreq);
    }

    private static options(r: EngineResource): any {
        const o = new pb.AnalyzerResourceOptions();
        o.setProtect(r.options.protect);
        o.setIgnorechangesList(r.options.ignoreChanges);
        if (r.options.deleteBeforeReplace !== undefined) {
            o.setDeletebeforereplace(r.options.deleteBeforeReplace);
            o.setDeletebeforereplacedefined(true);
        }
        o.setAdditionalsecretoutputsList(r.options.additionalSecretOutputs);
        o.setAliasesList(r.options.aliases);
        if (r.parent) {
            o.setParent(r.parent);
        }
        return o;
    }

    private static provider(r: EngineResource): any {
        if (!r.provider) {
            return undefined;
        }
        const p = new pb.AnalyzerProviderResource();
        p.setType(r.provider.type);
        p.setProperties(structpb.Struct.fromJavaScript(r.provider.props));
        p.setUrn(r.provider.urn);
        p.setName(r.provider.name);
        return p;
    }

    private static diagnostics(resp: any): ServerDiagnostic[] {
        return resp.getDiagnosticsList().map((d: any) => ({
            policyName: d.getPolicyname(), urn: d.getUrn(), message: d.getMessage(), enforcementLevel: LEVEL_FROM_PB[d.getEnforcementlevel()],
        }));
    }

    async analyze(r: EngineResource): Promise<ServerDiagnostic[]> {
        const req = new pb.AnalyzeRequest();
        req.setType(r.type);
        req.setProperties(structpb.Struct.fromJavaScript(r.inputs));
        req.setUrn(r.urn);
        req.setName(r.name);
        req.setOptions(PackServer.options(r));
        const p = PackServer.provider(r);
        if (p) {
            req.setProvider(p);
        }
        return PackServer.diagnostics(await this.call("analyze", req));
    }

    async analyzeStack(resources: readonly EngineResource[]): Promise<ServerDiagnostic[]> {
        const req = new pb.AnalyzeStackRequest();
        req.setResourcesList(resources.map((r) => {
            const a = new pb.AnalyzerResource();
            a.setType(r.type);
            a.setProperties(structpb.Struct.fromJavaScript(r.outputs));
            a.setUrn(r.urn);
            a.setName(r.name);
            a.setOptions(PackServer.options(r));
            const p = PackServer.provider(r);
            if (p) {
                a.setProvider(p);
            }
            if (r.parent) {
                a.setParent(r.parent);
            }
            a.setDependenciesList(r.dependencies);
            for (const [k, urns] of Object.entries(r.propertyDependencies)) {
                const deps = new pb.AnalyzerPropertyDependencies();
                deps.setUrnsList(urns);
                a.getPropertydependenciesMap().set(k, deps);
            }
            return a;
        }));
        return PackServer.diagnostics(await this.call("analyzeStack", req));
    }

    stop(): void {
        this.client.close();
        if (this.child.exitCode === null) {
            this.child.kill("SIGTERM");
        }
    }
}
