// ternent-postgres:network: which pods (besides this project's jobs) may reach the database.

import { DEFAULTS } from "../defaults";
import { Reader } from "../reader";

export interface NetworkConfig {
    /** Pods allowed to reach 5432; must select at least one label. */
    readonly apiPodSelector: Readonly<Record<string, string>>;
}

export function readNetwork(r: Reader, value: unknown): NetworkConfig {
    const o = r.object("network", value, ["apiPodSelector"]) ?? {};
    return { apiPodSelector: r.labels("network.apiPodSelector", o.apiPodSelector, DEFAULTS.network.apiPodSelector, true) };
}
