// The formats config values are checked against: Kubernetes names, labels and quantities, image
// references, PostgreSQL identifiers, digests, WAL-G backup names and RFC 3339 times. Pure functions
// and patterns, no config keys: the section readers say which key a format applies to.

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
export const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?$/;
export const LABEL_KEY = /^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
export const PG_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
export const SHA256 = /^[0-9a-f]{64}$/;
export const BACKUP_NAME = /^base_[0-9A-F]{24}$/;
const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

export { parseQuantity } from "../policy/lib/quantity";

/** Image reference with a pinned tag (never latest) or digest; returns the tag, or an error text. */
export function checkImage(image: string): { tag?: string; error?: string } {
    if (/\s/.test(image) || image === "") {
        return { error: "is not an image reference" };
    }
    const [nameAndTag, digest] = image.split("@");
    if (digest !== undefined && !/^sha256:[0-9a-f]{64}$/.test(digest)) {
        return { error: "has a malformed digest; allowed: <image>:<tag> or <image>:<tag>@sha256:<64 hex>" };
    }
    const lastSlash = nameAndTag.lastIndexOf("/");
    const colon = nameAndTag.indexOf(":", lastSlash + 1);
    if (colon < 0) {
        // A digest alone pins the image completely.
        return digest !== undefined ? {} : { error: "is not pinned: allowed is <image>:<tag> with an explicit version tag (never untagged or latest)" };
    }
    const tag = nameAndTag.slice(colon + 1);
    if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(tag)) {
        return { error: `has a malformed tag "${tag}"` };
    }
    if (tag.toLowerCase() === "latest") {
        return { error: "uses the tag latest: allowed is an explicit version tag (e.g. 15.18-bookworm), never latest" };
    }
    return { tag };
}

/** Parses strict RFC 3339 with a zone; undefined when malformed or not a real date. */
export function parseRfc3339(text: string): Date | undefined {
    const m = RFC3339.exec(text);
    if (!m) {
        return undefined;
    }
    const [y, mo, d, h, mi, s] = m.slice(1, 7).map(Number);
    const check = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
    if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d ||
        h > 23 || mi > 59 || s > 59) {
        return undefined;
    }
    const date = new Date(text.toUpperCase());
    return Number.isNaN(date.getTime()) ? undefined : date;
}
