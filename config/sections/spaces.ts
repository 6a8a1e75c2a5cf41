// ternent-postgres:spaces: the bucket (region, name, generation 0's prefix), whether it already exists,
// and the grant of the key DR and the drills use.

import { SPACES_REGIONS } from "../../lib/contract";
import { DEFAULTS } from "../defaults";
import { Reader } from "../reader";

export type KeyPermission = "read" | "readwrite" | "fullaccess";
export const KEY_PERMISSIONS: readonly KeyPermission[] = ["read", "readwrite", "fullaccess"];

export interface SpacesConfig {
    readonly region: string;
    readonly bucket: string;
    /** Object prefix of generation 0. */
    readonly prefix: string;
    readonly useExisting: boolean;
    /** Grant of the key DR and the drills use. */
    readonly drKeyPermission: KeyPermission;
    /** https://<region>.digitaloceanspaces.com */
    readonly endpoint: string;
}

export function readSpaces(r: Reader, value: unknown, stack: string): SpacesConfig {
    const d = DEFAULTS.spaces;
    const o = r.object("spaces", value, ["region", "bucket", "prefix", "useExisting", "drKeyPermission"]) ?? {};
    const region = r.oneOf("spaces.region", o.region, d.region, SPACES_REGIONS);
    const bucket = r.string("spaces.bucket", o.bucket, `ternent-postgres-backups-${stack}`.slice(0, 63).replace(/-+$/, ""));
    if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(bucket)) {
        r.problem("spaces.bucket", bucket, "is not a valid Spaces bucket name: allowed are 3-63 characters of a-z, 0-9 and -, starting and ending alphanumeric");
    }
    const prefix = r.string("spaces.prefix", o.prefix, d.prefix);
    if (!/^[a-z0-9][a-z0-9._-]*(\/[a-z0-9][a-z0-9._-]*)*$/.test(prefix)) {
        r.problem("spaces.prefix", prefix, "is not allowed: must be a relative object prefix of a-z, 0-9, ., _, - and / (no leading or trailing /)");
    } else if (/-gen\d+$/.test(prefix)) {
        r.problem("spaces.prefix", prefix, "ends in -gen<N>, which is reserved for data generations (<prefix>-gen<N>): choose a prefix without it");
    }
    const useExisting = r.bool("spaces.useExisting", o.useExisting, d.useExisting);
    const drKeyPermission = r.oneOf("spaces.drKeyPermission", o.drKeyPermission, d.drKeyPermission, KEY_PERMISSIONS);
    return { region, bucket, prefix, useExisting, drKeyPermission, endpoint: `https://${region}.digitaloceanspaces.com` };
}
