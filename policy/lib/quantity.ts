// Kubernetes quantities ("250m", "1", "512Mi", "10Gi"): the one parser of the pack and the program
// (config/formats.ts re-exports it). No dependencies.

/** Binary and decimal Kubernetes quantity suffixes. */
const QUANTITY_FACTORS: Record<string, number> = {
    "": 1, m: 1e-3, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
    Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60,
};

/** Parses a Kubernetes quantity; undefined when malformed. */
export function parseQuantity(text: string): number | undefined {
    const m = /^(\d+(?:\.\d+)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/.exec(text);
    if (!m) {
        return undefined;
    }
    return Number(m[1]) * QUANTITY_FACTORS[m[2] ?? ""];
}
