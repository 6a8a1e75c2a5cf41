// ternent-postgres:namespaces: the database's namespace (exists) and the DR namespace (created), which
// must differ.

import { DEFAULTS } from "../defaults";
import { DNS_LABEL } from "../formats";
import { Reader } from "../reader";

export interface NamespacesConfig {
    readonly primary: string;
    readonly dr: string;
}

/**
 * The default namespaces of a stack: the bundle's (backend, backend-dr) for prod, backend-<stack> and
 * backend-<stack>-dr for any other, so dev and prod never collide on one cluster. Two stacks may share
 * names only on separate clusters, and then say so explicitly (README "Stacks and clusters").
 */
export function defaultNamespaces(stack: string): NamespacesConfig {
    if (stack === DEFAULTS.namespacesStack) {
        return { ...DEFAULTS.namespaces };
    }
    return { primary: `${DEFAULTS.namespaces.primary}-${stack}`, dr: `${DEFAULTS.namespaces.primary}-${stack}-dr` };
}

export function readNamespaces(r: Reader, value: unknown, stack: string): NamespacesConfig {
    const o = r.object("namespaces", value, ["primary", "dr"]) ?? {};
    const d = defaultNamespaces(stack);
    const namespaces = {
        primary: r.string("namespaces.primary", o.primary, d.primary),
        dr: r.string("namespaces.dr", o.dr, d.dr),
    };
    for (const [field, v] of Object.entries(namespaces)) {
        if (!DNS_LABEL.test(v)) {
            r.problem(`namespaces.${field}`, v, "is not a valid namespace name: allowed are 1-63 characters of a-z, 0-9 and -, starting and ending alphanumeric");
        }
    }
    if (namespaces.primary === namespaces.dr) {
        r.problem("namespaces.dr", namespaces.dr, "is the same as namespaces.primary: the DR namespace must be a separate namespace");
    }
    return namespaces;
}
