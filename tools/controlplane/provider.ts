// Where build-provider.sh put the real Kubernetes provider, and whether the real-engine CLI and its
// pass-through double (tools/realengine/build.sh) are there for `pulumi up` through them (up.ts).

import * as fs from "fs";
import * as os from "os";
import * as path from "path";

export interface ProviderStatus {
    readonly ok: boolean;
    /** module@version it was built from. */
    readonly module: string;
    /** The version the plugin reports (the @pulumi/kubernetes release of package-lock.json). */
    readonly version: string;
    readonly bin: string;
    readonly reason: string | null;
}

function cache(): string {
    return process.env.TERNENT_CACHE ?? path.join(os.homedir(), ".cache", "ternent-postgres");
}

export function providerStatusFile(): string {
    return path.join(cache(), "controlplane", "provider", "status.json");
}

export function providerStatus(): ProviderStatus {
    return JSON.parse(fs.readFileSync(providerStatusFile(), "utf8")) as ProviderStatus;
}

/** The real-engine tools' binaries (pulumi, pulumi-resource-passthrough). */
export function realEngineBin(): string {
    return path.join(cache(), "realengine", "bin");
}

/** Why `pulumi up` with the real provider cannot run here, or undefined. */
export function providerSkipReason(): string | undefined {
    if (!fs.existsSync(providerStatusFile())) {
        return `the Kubernetes provider is not built (${providerStatusFile()} missing): run bash tools/controlplane/build-provider.sh`;
    }
    const s = providerStatus();
    if (!s.ok) return `tools/controlplane/build-provider.sh could not build ${s.module}: ${s.reason ?? "unknown"}`;
    if (!fs.existsSync(s.bin)) return `${s.bin} missing: run bash tools/controlplane/build-provider.sh`;
    for (const bin of ["pulumi", "pulumi-resource-passthrough"]) {
        if (!fs.existsSync(path.join(realEngineBin(), bin))) {
            return `${path.join(realEngineBin(), bin)} missing: run bash tools/realengine/build.sh`;
        }
    }
    return undefined;
}
