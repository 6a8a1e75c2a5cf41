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
    /** The superuser the image initialises (this project's jobs only). */
    readonly user: string;
    /** The API's role: LOGIN, no superuser, owns `database` (Secret ternent-postgres-app). */
    readonly appUser: string;
    readonly archiveTimeoutSeconds: number;
    /** Guaranteed QoS: requests equal limits (checked). */
    readonly resources: { readonly requests: ResourceList; readonly limits: ResourceList };
    /** Size limit of the memory-backed /dev/shm. */
    readonly shmSize: string;
    /** Value of the PriorityClass ternent-postgres-<stack> the pod gets; absent: none (priority 0). */
    readonly priority?: number;
    /** remote: base backups over the replication protocol (no volume); local: the backup pod mounts the PVC. */
    readonly backupMode: "remote" | "local";
    /** The StatefulSet's selector (immutable; must match the bundle's when adopting). */
    readonly selectorLabels: Readonly<Record<string, string>>;
}

export function readPostgres(r: Reader, value: unknown): PostgresConfig {
    const d = DEFAULTS.postgres;
    const o = r.object("postgres", value, [
        "image", "storageClass", "storageSize", "volumeClaimTemplate", "serviceName", "database", "user",
        "archiveTimeoutSeconds", "resources", "selectorLabels", "appUser", "shmSize", "priority", "backupMode",
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
    const appUser = identifier("postgres.appUser", o.appUser, d.appUser);
    if (appUser === user) {
        r.problem("postgres.appUser", appUser, `is postgres.user, the superuser: the API gets a role of its own (e.g. ${d.appUser})`);
    }
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
        if (parseQuantity(resources.requests[k]) !== parseQuantity(resources.limits[k])) {
            r.problem(`postgres.resources.requests.${k}`, resources.requests[k],
                `differs from postgres.resources.limits.${k} = ${show(resources.limits[k])}: the database runs with Guaranteed QoS ` +
                "(requests equal to limits, the last pod evicted under memory pressure); set both to the same value");
        }
    }
    const shmSize = r.quantity("postgres.shmSize", o.shmSize, d.shmSize, "memory");
    if ((parseQuantity(shmSize) ?? 0) >= (parseQuantity(resources.limits.memory) ?? Infinity)) {
        r.problem("postgres.shmSize", shmSize, `is not below postgres.resources.limits.memory = ${show(resources.limits.memory)}: /dev/shm is memory of the container`);
    }
    let priority: number | undefined;
    if (o.priority !== undefined && o.priority !== null) {
        priority = r.integer("postgres.priority", o.priority, 0, 1, 1_000_000_000, " (the value of the PriorityClass ternent-postgres-<stack>; above 1e9 is reserved for the system)");
    }
    const backupMode = r.string("postgres.backupMode", o.backupMode, d.backupMode);
    if (backupMode !== "remote" && backupMode !== "local") {
        r.problem("postgres.backupMode", backupMode, "is not allowed: remote (over the replication protocol, no volume) or local (the backup pod mounts the PVC)");
    }
    const selectorLabels = r.labels("postgres.selectorLabels", o.selectorLabels, d.selectorLabels, true);
    return {
        image, storageClass, storageSize, volumeClaimTemplate, serviceName, database, user, appUser, archiveTimeoutSeconds,
        resources, shmSize, priority, backupMode: backupMode === "local" ? "local" : "remote", selectorLabels,
    };
}
