// ternent-postgres:postgres: the database's image, volume, names, archive timeout, resources and the
// StatefulSet's immutable selector.

import { DEFAULTS } from "../defaults";
import { show } from "../errors";
import { checkImage, DNS_LABEL, parseQuantity, PG_IDENTIFIER } from "../formats";
import { Reader } from "../reader";

export interface ResourceList {
    readonly cpu: string;
    readonly memory: string;
}

export interface PostgresConfig {
    readonly image: string;
    readonly storageClass: string;
    readonly storageSize: string;
    /** Name of the StatefulSet's claim template (generation 0's PVC is `<name>-ternent-postgres-0`). */
    readonly volumeClaimTemplate: string;
    /** The StatefulSet's governing service name (immutable; must match the bundle's when adopting). */
    readonly serviceName: string;
    readonly database: string;
    readonly user: string;
    readonly archiveTimeoutSeconds: number;
    readonly resources: { readonly requests: ResourceList; readonly limits: ResourceList };
    /** The StatefulSet's selector (immutable; must match the bundle's when adopting). */
    readonly selectorLabels: Readonly<Record<string, string>>;
}

export function readPostgres(r: Reader, value: unknown): PostgresConfig {
    const d = DEFAULTS.postgres;
    const o = r.object("postgres", value, [
        "image", "storageClass", "storageSize", "volumeClaimTemplate", "serviceName", "database", "user",
        "archiveTimeoutSeconds", "resources", "selectorLabels",
    ]) ?? {};
    const image = r.string("postgres.image", o.image, d.image);
    const img = checkImage(image);
    if (img.error) {
        r.problem("postgres.image", image, img.error);
    } else if (img.tag === undefined) {
        r.warn(`${r.key("postgres.image")} = ${show(image)} is pinned by digest only: make sure it is a Debian-based PostgreSQL 15 image (the WAL-G build needs glibc)`);
    } else {
        if (/alpine/i.test(img.tag)) {
            r.problem("postgres.image", image, "is an Alpine (musl) image: the pinned WAL-G build is for glibc; allowed are Debian-based PostgreSQL 15 tags (e.g. 15.18-bookworm)");
        } else if (!/^15(\.|-|$)/.test(img.tag)) {
            r.problem("postgres.image", image, "is not PostgreSQL 15: allowed are PostgreSQL 15 tags (e.g. 15.18-bookworm); a major upgrade needs pg_upgrade, not an image change");
        }
    }
    const storageClass = r.string("postgres.storageClass", o.storageClass, d.storageClass);
    if (!/^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/.test(storageClass)) {
        r.problem("postgres.storageClass", storageClass, "is not a valid StorageClass name: allowed are lower-case DNS names (e.g. do-block-storage)");
    }
    const storageSize = r.quantity("postgres.storageSize", o.storageSize, d.storageSize, "storage");
    const dnsName = (path: string, v: unknown, fallback: string): string => {
        const s = r.string(path, v, fallback);
        if (!DNS_LABEL.test(s)) {
            r.problem(path, s, "is not a valid name: allowed are 1-63 characters of a-z, 0-9 and -, starting and ending alphanumeric");
        }
        return s;
    };
    const volumeClaimTemplate = dnsName("postgres.volumeClaimTemplate", o.volumeClaimTemplate, d.volumeClaimTemplate);
    const serviceName = dnsName("postgres.serviceName", o.serviceName, d.serviceName);
    const identifier = (path: string, v: unknown, fallback: string): string => {
        const s = r.string(path, v, fallback);
        if (!PG_IDENTIFIER.test(s)) {
            r.problem(path, s, "is not allowed: must be a plain PostgreSQL identifier (a-z, 0-9, _; starting with a letter or _; at most 63 characters)");
        }
        return s;
    };
    const database = identifier("postgres.database", o.database, d.database);
    const user = identifier("postgres.user", o.user, d.user);
    const archiveTimeoutSeconds = r.integer("postgres.archiveTimeoutSeconds", o.archiveTimeoutSeconds, d.archiveTimeoutSeconds, 10, 3600,
        " seconds (0 would switch archive_timeout off; below 10 s every idle second costs a 16 MiB segment)");

    const resObj = r.object("postgres.resources", o.resources, ["requests", "limits"]) ?? {};
    const list = (path: string, v: unknown, fallback: ResourceList): ResourceList => {
        const lo = r.object(path, v, ["cpu", "memory"]) ?? {};
        return {
            cpu: r.quantity(`${path}.cpu`, lo.cpu, fallback.cpu, "cpu"),
            memory: r.quantity(`${path}.memory`, lo.memory, fallback.memory, "memory"),
        };
    };
    const resources = {
        requests: list("postgres.resources.requests", resObj.requests, d.resources.requests),
        limits: list("postgres.resources.limits", resObj.limits, d.resources.limits),
    };
    for (const k of ["cpu", "memory"] as const) {
        if ((parseQuantity(resources.requests[k]) ?? 0) > (parseQuantity(resources.limits[k]) ?? Infinity)) {
            r.problem(`postgres.resources.requests.${k}`, resources.requests[k],
                `is above postgres.resources.limits.${k} = ${show(resources.limits[k])}: a request must not exceed its limit`);
        }
    }
    const selectorLabels = r.labels("postgres.selectorLabels", o.selectorLabels, d.selectorLabels, true);
    return {
        image, storageClass, storageSize, volumeClaimTemplate, serviceName, database, user, archiveTimeoutSeconds,
        resources, selectorLabels,
    };
}
