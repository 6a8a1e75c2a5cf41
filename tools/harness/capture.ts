// What the engine records for each registration, read from the requests the mock monitor receives:
// URN, type, parent, dependencies (explicit and through inputs), property dependencies, inputs
// (secrets unwrapped, their paths remembered) and resource options. pulumi.runtime.setMocks hands a
// Mocks implementation only type, name, inputs, provider and id, so the rest comes from the
// request's protobuf getters (see index.ts for this and the other SDK internals the harness uses).

import * as pulumi from "@pulumi/pulumi";
import { unwrapSecrets } from "./secrets";

export interface CapturedOptions {
    readonly protect: boolean;
    readonly retainOnDelete: boolean;
    readonly importId?: string;
    readonly deleteBeforeReplace: boolean;
    readonly ignoreChanges: string[];
    readonly replaceOnChanges: string[];
    readonly provider?: string;
    readonly additionalSecretOutputs: string[];
}

export interface CapturedResource {
    readonly urn: string;
    readonly type: string;
    readonly name: string;
    readonly custom: boolean;
    /** URN of the parent resource, if any. */
    readonly parent?: string;
    /** URNs this resource depends on (explicit dependsOn and implicit, through inputs). */
    readonly dependencies: string[];
    readonly propertyDependencies: Record<string, string[]>;
    /** Inputs with secret envelopes removed (plain values). */
    readonly inputs: Record<string, unknown>;
    /** Dotted paths (e.g. "stringData.POSTGRES_PASSWORD") of inputs that were secret. */
    readonly secretPaths: string[];
    /** Outputs as the mocks returned them (component outputs for components). */
    readonly outputs: Record<string, unknown>;
    readonly options: CapturedOptions;
}

type Registration = Omit<CapturedResource, "urn" | "outputs">;
/* eslint-disable @typescript-eslint/no-explicit-any -- protobuf messages of the SDK's generated code, untyped here */
type Callback = (err: any, resp: any) => void;

/** The part of the SDK's MockMonitor (what setMocks installs) the capture uses. */
interface MockMonitorLike {
    registerResource(req: any, callback: Callback): Promise<void>;
    readResource(req: any, callback: Callback): Promise<void>;
    getRegisteredResources(): Map<string, { state: unknown }>;
}

function registration(req: any, custom: boolean): Registration {
    const propertyDependencies: Record<string, string[]> = {};
    req.getPropertydependenciesMap?.()?.forEach((v: any, k: string) => {
        propertyDependencies[k] = v.getUrnsList();
    });
    const secretPaths: string[] = [];
    const raw = pulumi.runtime.deserializeProperties(req.getObject ? req.getObject() : req.getProperties());
    return {
        type: req.getType(),
        name: req.getName(),
        custom,
        parent: req.getParent() || undefined,
        dependencies: req.getDependenciesList?.() ?? [],
        propertyDependencies,
        inputs: unwrapSecrets(raw, "", secretPaths) as Record<string, unknown>,
        secretPaths,
        options: {
            protect: Boolean(req.getProtect?.()),
            retainOnDelete: Boolean(req.getRetainondelete?.()),
            importId: req.getImportid?.() || undefined,
            deleteBeforeReplace: Boolean(req.getDeletebeforereplace?.()),
            ignoreChanges: req.getIgnorechangesList?.() ?? [],
            replaceOnChanges: req.getReplaceonchangesList?.() ?? [],
            provider: req.getProvider() || undefined,
            additionalSecretOutputs: req.getAdditionalsecretoutputsList?.() ?? [],
        },
    };
}
/* eslint-enable @typescript-eslint/no-explicit-any */

/**
 * Records every registration the monitor that pulumi.runtime.setMocks installed receives, by
 * wrapping that instance's registerResource and readResource. Call right after setMocks.
 */
export function captureRegistrations(): { resources(): CapturedResource[] } {
    const monitor = pulumi.runtime.getMonitor() as unknown as MockMonitorLike;
    const captured = new Map<string, Registration>();
    const record = (req: unknown, custom: boolean, callback: Callback): Callback => (err, resp) => {
        if (!err && resp) {
            captured.set(resp.getUrn(), registration(req, custom));
        }
        callback(err, resp);
    };
    const register = monitor.registerResource.bind(monitor);
    const read = monitor.readResource.bind(monitor);
    // eslint-disable-next-line @typescript-eslint/no-explicit-any
    monitor.registerResource = (req: any, callback) => register(req, record(req, Boolean(req.getCustom()), callback));
    monitor.readResource = (req, callback) => read(req, record(req, true, callback));
    return {
        /** In registration order, with the outputs the mocks returned (the registered outputs for components). */
        resources(): CapturedResource[] {
            const registered = monitor.getRegisteredResources();
            return [...captured].map(([urn, r]) => {
                const state = registered.get(urn)?.state as { toJavaScript?: () => Record<string, unknown> } | Record<string, unknown> | undefined;
                const plain = typeof state?.toJavaScript === "function" ? (state.toJavaScript as () => unknown)() : state ?? {};
                return { urn, ...r, outputs: unwrapSecrets(plain, "", []) as Record<string, unknown> };
            });
        },
    };
}
