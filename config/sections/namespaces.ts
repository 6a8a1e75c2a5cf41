// ternent-postgres:namespaces: the database's namespace (exists) and the DR namespace (created), which
// must differ.

import { DEFAULTS } from "../defaults";
import { DNS_LABEL } from "../formats";
import { Reader } from "../reader";

export interface NamespacesConfig {
    readonly primary: string;
    readonly dr: string;
}

export function readNamespaces(r: Reader, value: unknown): NamespacesConfig {
    const o = r.object("namespaces", value, ["primary", "dr"]) ?? {};
    const namespaces = {
        primary: r.string("namespaces.primary", o.primary, DEFAULTS.namespaces.primary),
        dr: r.string("namespaces.dr", o.dr, DEFAULTS.namespaces.dr),
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
