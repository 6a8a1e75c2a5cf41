// The `kubernetes:` provider config the program depends on: Secrets and ConfigMaps must be updated in
// place. By default the provider replaces them on any change, which `protect` refuses (and which
// briefly deletes them otherwise).

import { show } from "../errors";
import { Reader } from "../reader";

export const MUTABLE_FLAGS = ["enableSecretMutable", "enableConfigMapMutable"] as const;

/** A problem with protect: true, else a warning, for each flag that is not "true". */
export function checkProviderFlags(r: Reader, kubernetes: Readonly<Record<string, string>>, protect: boolean): void {
    for (const flag of MUTABLE_FLAGS) {
        if (kubernetes[flag] !== "true") {
            const text = `kubernetes:${flag} = ${show(kubernetes[flag] ?? null)}: must be "true" so that changed Secrets/ConfigMaps ` +
                "(e.g. a recovery's new WAL-G prefix) are updated in place instead of replaced";
            if (protect) {
                r.problems.push(`${text}; with ${r.key("protect")} true a replacement is refused and pulumi up would fail halfway`);
            } else {
                r.warn(`${text} (replacing them deletes and recreates them)`);
            }
        }
    }
}
