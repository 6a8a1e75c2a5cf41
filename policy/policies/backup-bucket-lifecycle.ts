// No lifecycle rule may expire backup or WAL objects while the retention job still needs them: an
// expiration (by date, or after at most the retention horizon in days) on a prefix that covers the
// WAL-G prefix, or on the whole bucket, would delete restore points the policies promise.
import { stackPolicy } from "../lib/checks";
import { TYPES } from "../lib/k8s";
import { retentionJobs } from "../lib/retention";
import { secretEntries, StackView } from "../lib/stack";
import { parseS3Prefix } from "../lib/walg";
import { asArr, asStr, at, intOf, UNKNOWN } from "../lib/values";
import { envLookup, stackKey } from "../lib/workloads";
import { POLICY_CONFIG_DEFAULTS } from "../lib/defaults";

const DEFAULTS = POLICY_CONFIG_DEFAULTS["backup-bucket-lifecycle"];

export interface LifecycleConfig {
    readonly minHorizonDays: number;
}

/** Days of history the retention job keeps: max(daily, 7·weekly + 7, pitrDays + 1), from its env. */
function retentionHorizon(view: StackView): { days: number; from: string } {
    let days = 0;
    const parts: string[] = [];
    for (const { w, c } of retentionJobs(view)) {
        if (!c) {
            continue;
        }
        const n = (name: string) => {
            const v = envLookup(view, w, c, name);
            return v.kind === "value" ? intOf(v.value) : undefined;
        };
        const daily = n("TERNENT_RETAIN_DAILY");
        const weekly = n("TERNENT_RETAIN_WEEKLY");
        const pitr = n("TERNENT_PITR_DAYS");
        if (daily !== undefined) {
            days = Math.max(days, daily);
        }
        if (weekly !== undefined) {
            days = Math.max(days, 7 * weekly + 7);
        }
        if (pitr !== undefined) {
            days = Math.max(days, pitr + 1);
        }
        parts.push(`${w.id}: daily ${daily ?? "?"}, weekly ${weekly ?? "?"}, PITR ${pitr ?? "?"} days`);
    }
    return { days, from: parts.join("; ") };
}

/** The WAL-G key prefixes in a bucket, from every WALG_S3_PREFIX the stack sets. */
function walgPrefixes(view: StackView, bucket: string): { prefixes: Set<string>; unknown: boolean } {
    const prefixes = new Set<string>();
    let unknown = false;
    const values: unknown[] = [];
    for (const s of view.ofType(TYPES.Secret)) {
        const { entries } = secretEntries(s.props);
        if (entries.has("WALG_S3_PREFIX")) {
            values.push(entries.get("WALG_S3_PREFIX"));
        }
    }
    for (const w of view.workloads()) {
        for (const c of w.containers) {
            const v = view.resolveEnv(w.meta.namespace, c.container).vars.get("WALG_S3_PREFIX");
            if (v && v.from === "value") {
                values.push(v.value);
            }
        }
    }
    for (const v of values) {
        if (v === UNKNOWN) {
            unknown = true;
        } else if (typeof v === "string") {
            const p = parseS3Prefix(v);
            if (p && p.bucket === bucket) {
                prefixes.add(p.prefix);
            }
        }
    }
    return { prefixes, unknown };
}

/** A lifecycle rule prefix reaches objects under a WAL-G prefix (keys "<prefix>/…"). */
function covers(rulePrefix: string, walgPrefix: string): boolean {
    const dir = walgPrefix === "" ? "" : `${walgPrefix}/`;
    return dir.startsWith(rulePrefix) || rulePrefix.startsWith(dir);
}

export const backupBucketLifecycle = stackPolicy<LifecycleConfig>({
    name: "backup-bucket-lifecycle",
    description: "No enabled lifecycle rule of the backup bucket expires objects under the WAL-G prefix (or the whole bucket) by date or within the retention horizon: max(minHorizonDays, daily, 7·weekly+7, pitrDays+1) days from the retention job's env. WAL-G's retention job deletes what is no longer needed.",
    remediationSteps: "Remove expiration lifecycle rules from the backup bucket (incomplete-multipart cleanup is fine), or scope them to a prefix WAL-G does not use.",
    severity: "critical",
    configSchema: {
        properties: {
            minHorizonDays: {
                type: "integer", minimum: 1, default: DEFAULTS.minHorizonDays,
                description: "Smallest retention horizon in days (4 weekly backups plus the week in progress).",
            },
        },
    },
    validate(args, checks, config) {
        const view = new StackView(args);
        const buckets = view.ofType(TYPES.SpacesBucket);
        if (buckets.length === 0) {
            args.notApplicable("the stack manages no Spaces bucket (spaces.useExisting): check the existing bucket's lifecycle rules by hand");
        }
        const derived = retentionHorizon(view);
        const horizon = Math.max(config.minHorizonDays, derived.days);
        const horizonText = `${horizon} days (policy config minHorizonDays ${config.minHorizonDays}` +
            `${derived.from ? `; retention job ${derived.from}` : ""})`;
        for (const b of buckets) {
            const name = asStr(at(b.props, "name")) ?? b.name;
            const rules = at(b.props, "lifecycleRules");
            if (rules === UNKNOWN) {
                checks.unknown(`lifecycle rules of bucket ${name}`);
                continue;
            }
            const walg = walgPrefixes(view, name);
            asArr(rules).forEach((rule, i) => {
                const id = asStr(at(rule, "id")) ?? `#${i}`;
                const enabled = at(rule, "enabled");
                const expiration = at(rule, "expiration");
                const prefix = at(rule, "prefix");
                if (enabled === false) {
                    return;
                }
                if (enabled === UNKNOWN || expiration === UNKNOWN || prefix === UNKNOWN) {
                    checks.unknown(`lifecycle rule ${id} of bucket ${name}`);
                    return;
                }
                const exp = Array.isArray(expiration) ? expiration[0] : expiration;
                const days = at(exp, "days");
                const date = at(exp, "date");
                if (days === UNKNOWN || date === UNKNOWN) {
                    checks.unknown(`expiration of lifecycle rule ${id} of bucket ${name}`);
                    return;
                }
                if (days === undefined && (date === undefined || date === "")) {
                    return;
                }
                const rulePrefix = asStr(prefix) ?? "";
                let reaches: boolean;
                if (rulePrefix === "") {
                    reaches = true;
                } else if (walg.prefixes.size > 0) {
                    reaches = [...walg.prefixes].some((p) => covers(rulePrefix, p));
                    if (!reaches && walg.unknown) {
                        checks.unknown(`whether lifecycle rule ${id} (prefix ${JSON.stringify(rulePrefix)}) of bucket ${name} reaches the WAL-G prefix`);
                        return;
                    }
                } else if (walg.unknown) {
                    checks.unknown(`whether lifecycle rule ${id} (prefix ${JSON.stringify(rulePrefix)}) of bucket ${name} reaches the WAL-G prefix`);
                    return;
                } else {
                    reaches = true; // no WAL-G prefix points into this bucket: treat it all as backup data
                }
                if (!reaches) {
                    return;
                }
                const scope = rulePrefix === "" ? "every object of the bucket" : `objects under ${JSON.stringify(rulePrefix)}, which covers the WAL-G prefix ${[...walg.prefixes].map((p) => JSON.stringify(p)).join(", ") || "(whole bucket)"}`;
                const fix = `Fix: remove the expiration from lifecycle rule ${id} of the bucket (BackupStorage, ${stackKey(view, "spaces")}).`;
                if (date !== undefined && date !== "") {
                    checks.violation(`Bucket ${name}: lifecycle rule ${id} expires ${scope} on ${JSON.stringify(date)}, ` +
                        `whatever the retention job still keeps (horizon ${horizonText}). ${fix}`, b.urn);
                } else {
                    const d = intOf(days);
                    if (d === undefined || d <= horizon) {
                        checks.violation(`Bucket ${name}: lifecycle rule ${id} expires ${scope} after ${JSON.stringify(days)} days, ` +
                            `inside the retention horizon of ${horizonText}: weekly backups and the WAL for PITR would vanish ` +
                            `before retention.sh releases them. ${fix}`, b.urn);
                    }
                }
            });
        }
    },
});
