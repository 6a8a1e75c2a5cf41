// What the lab takes from the program: postgresql.conf (ConfigMap ternent-postgres) and the WAL-G
// tuning env (ConfigMap ternent-postgres-walg) exactly as the program renders them for a stack, by
// running the program under the mock runtime in this process (tools/harness/). There is no fallback:
// when the program cannot render, the lab cannot run what the pods run, and says why.
import { CapturedResource, runStack } from "../tools/harness";

/** What the lab takes from the rendered ConfigMaps. */
export interface RenderedSettings {
    /** data['postgresql.conf'] of ConfigMap ternent-postgres. */
    readonly conf: string;
    /** data['pg_hba.conf'] of ConfigMap ternent-postgres (the hba_file postgresql.conf names). */
    readonly hba: string;
    /** data of ConfigMap ternent-postgres-walg in the primary's namespace (WAL-G tuning env). */
    readonly walg: Readonly<Record<string, string>>;
    /** Where they came from. */
    readonly source: string;
}

/** File name extension WAL-G gives objects for a WALG_COMPRESSION_METHOD. */
export function walgExtension(method: string | undefined): string {
    const ext: Record<string, string> = { lz4: ".lz4", brotli: ".br", zstd: ".zst", lzma: ".lzma", none: "" };
    return ext[method ?? "lz4"] ?? `.${method}`;
}

type ConfigMapInputs = { metadata?: { name?: string; namespace?: string }; data?: Record<string, string> };

function configMap(resources: readonly CapturedResource[], name: string, namespace?: string): ConfigMapInputs | undefined {
    return resources
        .filter((r) => r.type === "kubernetes:core/v1:ConfigMap")
        .map((r) => r.inputs as ConfigMapInputs)
        .find((m) => m.metadata?.name === name && (namespace === undefined || m.metadata?.namespace === namespace));
}

const cache = new Map<string, Promise<RenderedSettings>>();

/** The rendered settings of a stack (default TERNENT_LAB_STACK, else dev); rendered once per process. */
export function renderedSettings(stack = process.env.TERNENT_LAB_STACK ?? "dev"): Promise<RenderedSettings> {
    if (!cache.has(stack)) cache.set(stack, renderOnce(stack));
    return cache.get(stack)!;
}

async function renderOnce(stack: string): Promise<RenderedSettings> {
    const run = await runStack(stack, { now: process.env.TERNENT_NOW });
    const main = configMap(run.resources, "ternent-postgres");
    const conf = main?.data?.["postgresql.conf"];
    if (typeof conf !== "string") throw new Error(`stack ${stack} renders no ConfigMap ternent-postgres with data['postgresql.conf']`);
    const walg = configMap(run.resources, "ternent-postgres-walg", main?.metadata?.namespace)?.data;
    if (!walg) throw new Error(`stack ${stack} renders no ConfigMap ternent-postgres-walg in ${main?.metadata?.namespace}`);
    const hba = main?.data?.["pg_hba.conf"];
    if (typeof hba !== "string") throw new Error(`stack ${stack} renders no data['pg_hba.conf'] in ConfigMap ternent-postgres`);
    return { conf, hba, walg, source: `the program's render of stack ${stack}` };
}
