// DR and the drills can read backups but never change them: every Spaces key they get is a SpacesKey
// whose grants are all `read` (found by value when the key's accessKey is known, else through the
// Secret's dependencies); with existing keys (spaces.useExisting, no SpacesKey resources) the DR key
// must at least differ from the primary's read-write key.
import { stackPolicy } from "../lib/checks";
import { TYPES } from "../lib/k8s";
import { postgresContainer } from "../lib/postgres";
import { Res, secretEntries, StackView } from "../lib/stack";
import { accessKeyOf, grantsOf, storageDependencies, walgConsumers } from "../lib/walg";
import { asStr, at } from "../lib/values";
import { envLookup, stackFile, stackKey } from "../lib/workloads";

const READING_ROLES = ["restore-drill", "pitr-drill", "restore"];

/** Why a SpacesKey is not read-only ("unknown" when its grants are not known yet). */
function grantProblem(key: Res): string | "unknown" | undefined {
    const { grants, unknown } = grantsOf(key);
    if (unknown) {
        return "unknown";
    }
    if (grants.length === 0) {
        return "no grants, so it cannot be shown to be read-only";
    }
    const bad = grants.filter((g) => g.permission !== "read" || !g.bucket);
    return bad.length === 0 ? undefined
        : `grant ${bad.map((g) => `${g.permission ?? "?"} on ${g.bucket ? JSON.stringify(g.bucket) : "all buckets"}`).join(", ")}`;
}

export const drReadOnlyKey = stackPolicy<object>({
    name: "dr-read-only-key",
    description: "Every Spaces key in the DR namespace, and every key a drill or restore pod gets, is a SpacesKey with only `read` grants on the backup bucket; under spaces.useExisting (no SpacesKey resources) the DR key must differ from the primary's.",
    remediationSteps: "Give the DR Secret the read-only SpacesKey (ternent-postgres:spaces.drKeyPermission read; with spaces.useExisting, spacesReadOnlyKeyId/spacesReadOnlySecret of a read-only key).",
    severity: "critical",
    validate(args, checks) {
        const view = new StackView(args);
        const dr = view.drNamespaces();
        const fix = `Fix: the DR and drill Secrets must carry the read-only key (${stackKey(view, "spaces.drKeyPermission")}: read in ${stackFile(view)}; ` +
            "with spaces.useExisting, spacesReadOnlyKeyId/spacesReadOnlySecret of a key with only read grants).";
        const secrets = new Map<string, Res>();
        // A Secret that carries a Spaces key: AWS_ACCESS_KEY_ID, or (data unknown until apply) built from one.
        const carriesKey = (x: Res) => {
            const { entries, wholeUnknown } = secretEntries(x.props);
            return entries.has("AWS_ACCESS_KEY_ID") || (wholeUnknown && storageDependencies(view, x).length > 0);
        };
        for (const s of view.ofType(TYPES.Secret)) {
            const ns = asStr(at(s.props, "metadata", "namespace")) ?? "default";
            if (dr.includes(ns) && carriesKey(s)) {
                secrets.set(s.urn, s);
            }
        }
        const consumers = walgConsumers(view).filter((c) => dr.includes(c.w.meta.namespace) || READING_ROLES.includes(c.w.role ?? ""));
        for (const { w, c, env } of consumers) {
            const who = `container ${c.name} of ${w.id}`;
            const ak = env.vars.get("AWS_ACCESS_KEY_ID");
            if (!ak) {
                const unknownData = env.secrets.filter((x) => secretEntries(x.props).wholeUnknown);
                if (env.opaque.length > 0 && env.opaque.length === unknownData.length && unknownData.every(carriesKey)) {
                    // The key comes from a Secret of the stack whose data is unknown: checked through that Secret.
                    unknownData.forEach((x) => secrets.set(x.urn, x));
                } else if (env.opaque.length > 0) {
                    checks.unknown(`AWS_ACCESS_KEY_ID of ${who} (may come from ${env.opaque.join(", ")})`);
                }
                continue;
            }
            if (ak.from === "secret" && ak.object) {
                secrets.set(ak.object.urn, ak.object);
            } else if (ak.from === "secret") {
                checks.violation(`${who} gets AWS_ACCESS_KEY_ID from Secret ${ak.name}, which this stack does not manage, so ` +
                    `the policy cannot show it is read-only. ${fix}`, w.res.urn);
            } else if (ak.from === "value" || ak.from === "configMap") {
                checks.violation(`${who} gets AWS_ACCESS_KEY_ID ${ak.from === "value" ? "as a literal in the pod spec" : "from a ConfigMap"}, ` +
                    `not from the DR Secret, so the policy cannot show it is read-only. ${fix}`, w.res.urn);
            } else {
                checks.unknown(`AWS_ACCESS_KEY_ID of ${who}`);
            }
        }
        if (secrets.size === 0 && consumers.length === 0) {
            args.notApplicable("the stack has no DR namespace secrets and no drill or restore pods");
        }
        const keys = view.ofType(TYPES.SpacesKey);
        const pg = view.postgres()[0];
        const pgc = pg ? postgresContainer(pg) : undefined;
        const primaryKey = pg && pgc ? envLookup(view, pg, pgc, "AWS_ACCESS_KEY_ID") : undefined;
        for (const s of secrets.values()) {
            const id = `Secret ${asStr(at(s.props, "metadata", "namespace")) ?? "default"}/${asStr(at(s.props, "metadata", "name")) ?? s.name}`;
            // Every Spaces key the Secret's data is built from must be read-only, whatever it is mapped to
            // (known even while the Secret's values are not).
            const reported = new Set<string>();
            for (const key of storageDependencies(view, s).filter((d) => d.type === TYPES.SpacesKey)) {
                const problem = grantProblem(key);
                if (problem && problem !== "unknown") {
                    reported.add(key.urn);
                    checks.violation(`${id} is built from SpacesKey ${asStr(at(key.props, "name")) ?? key.name} (its data depends on it) ` +
                        `with ${problem}: a drill, a DR restore or anyone holding that Secret could delete or overwrite the backups. ` +
                        `Only read grants are allowed. ${fix}`, s.urn);
                }
            }
            const link = accessKeyOf(view, s);
            switch (link.kind) {
                case "missing":
                    break;
                case "unknown":
                    checks.unknown(`which Spaces key ${id} carries (${link.why})`);
                    break;
                case "ambiguous":
                    checks.unknown(`which Spaces key ${id} carries: it depends on ${link.keys.map((k) => k.name).join(" and ")} and ` +
                        "AWS_ACCESS_KEY_ID is unknown until apply");
                    break;
                case "spacesKey": {
                    if (reported.has(link.key.urn)) {
                        break;
                    }
                    const name = asStr(at(link.key.props, "name")) ?? link.key.name;
                    const problem = grantProblem(link.key);
                    if (problem === "unknown") {
                        checks.unknown(`the grants of SpacesKey ${name} used by ${id}`);
                    } else if (problem) {
                        checks.violation(`${id} carries SpacesKey ${name} (${link.how}) with ${problem}: a drill, a DR restore ` +
                            `or anyone holding that Secret could delete or overwrite the backups. Only read grants are allowed. ${fix}`, s.urn);
                    }
                    break;
                }
                case "external": {
                    if (keys.length > 0) {
                        checks.violation(`${id} carries an access key that is none of this stack's SpacesKeys ` +
                            `(${keys.map((k) => k.name).join(", ")}), so it cannot be shown to be read-only. ${fix}`, s.urn);
                    } else if (!primaryKey || primaryKey.kind === "missing") {
                        checks.violation(`${id} carries an existing key (spaces.useExisting) and the primary's key is not visible, ` +
                            `so the DR key cannot be told apart from the read-write one. ${fix}`, s.urn);
                    } else if (primaryKey.kind === "unknown") {
                        checks.unknown(`whether ${id} carries the same key as the primary (${primaryKey.where})`);
                    } else if (primaryKey.value === link.value) {
                        checks.violation(`${id} carries the same access key as the primary's postgres container ${pgc?.name ?? ""} of ${pg?.id ?? ""}: ` +
                            `DR and the drills would hold the read-write key. ${fix}`, s.urn);
                    }
                    break;
                }
            }
        }
    },
});
