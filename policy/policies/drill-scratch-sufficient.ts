// The drills restore the whole database into their scratch directory: it must be a volume of its own
// (an ephemeral or persistent claim, not the node's root disk through an emptyDir, where a database
// near its volume's size gets the drill evicted) at least minScratchFactor × the database's volume
// (the restored data directory plus the WAL replayed into it).
import { stackPolicy } from "../lib/checks";
import { POLICY_CONFIG_DEFAULTS } from "../lib/defaults";
import { TYPES } from "../lib/k8s";
import { dataVolume, postgresContainer, postgresRuntime, volumeAt } from "../lib/postgres";
import { parseQuantity } from "../lib/quantity";
import { StackView, Workload } from "../lib/stack";
import { asArr, asStr, at, UNKNOWN } from "../lib/values";
import { envLookup, roleContainer } from "../lib/workloads";

const DEFAULTS = POLICY_CONFIG_DEFAULTS["drill-scratch-sufficient"];

export interface ScratchConfig {
    readonly minScratchFactor: number;
}

export const drillScratchSufficient = stackPolicy<ScratchConfig>({
    name: "drill-scratch-sufficient",
    description: "The restore and PITR drills restore into a volume of their own (ephemeral or persistent claim, not an emptyDir) of at least minScratchFactor × the database's volume.",
    remediationSteps: "Keep the drills' scratch a generic ephemeral volume and ternent-postgres:drills.scratchFactor at or above the pack's minScratchFactor (1.5).",
    severity: "high",
    configSchema: {
        properties: {
            minScratchFactor: { type: "number", minimum: 1, default: DEFAULTS.minScratchFactor, description: "Scratch size ÷ the database volume's size." },
        },
    },
    validate(args, checks, config) {
        const view = new StackView(args);
        const sts = view.postgres()[0];
        const drills = [...view.byRole("restore-drill"), ...view.byRole("pitr-drill")].filter((w) => w.res.type === TYPES.CronJob);
        if (!sts || drills.length === 0) {
            args.notApplicable(!sts ? "the stack has no Postgres StatefulSet" : "the stack has no drill; restore-drill-weekly reports that");
        }
        const size = databaseBytes(view, sts);
        if (size === UNKNOWN) {
            checks.unknown(`the size of StatefulSet ${sts.id}'s data volume`);
            return;
        }
        for (const w of drills) {
            if (w.unknownParts.length > 0) {
                checks.unknown(`the pod template of CronJob ${w.id}`);
                continue;
            }
            const c = roleContainer(w);
            if (!c) {
                continue;
            }
            const workdir = envLookup(view, w, c, "TERNENT_WORKDIR");
            const dir = workdir.kind === "value" ? workdir.value.replace(/\/+$/, "") : "/ternent/work";
            const vol = volumeAt(w, c, dir)?.spec;
            if (!vol) {
                checks.violation(`CronJob ${w.id} has no volume at its scratch directory ${dir}: the restore goes to the container's root filesystem.`, w.res.urn);
                continue;
            }
            const request = scratchRequest(view, w, vol);
            if (request === "emptyDir") {
                checks.violation(`CronJob ${w.id} restores into an emptyDir at ${dir}: the node's root disk, where a database near its volume's size gets ` +
                    "the drill evicted. Fix: a generic ephemeral volume (drills.scratchFactor × postgres.storageSize).", w.res.urn);
            } else if (request === UNKNOWN) {
                checks.unknown(`the size of CronJob ${w.id}'s scratch volume`);
            } else if (request === undefined) {
                checks.violation(`CronJob ${w.id}: the size of its scratch volume at ${dir} cannot be read.`, w.res.urn);
            } else if (size !== undefined && request < config.minScratchFactor * size) {
                checks.violation(`CronJob ${w.id}'s scratch volume at ${dir} holds ${gib(request)} GiB, less than ${config.minScratchFactor} × the database's ` +
                    `${gib(size)} GiB volume (${gib(config.minScratchFactor * size)} GiB): a full database cannot be restored and replayed there. ` +
                    "Fix: ternent-postgres:drills.scratchFactor.", w.res.urn);
            }
        }
    },
});

const gib = (bytes: number): string => String(Math.round((bytes / 2 ** 30) * 100) / 100);

/** Bytes of the volume PGDATA lives on (the current generation's PVC, else the claim template). */
function databaseBytes(view: StackView, sts: Workload): number | undefined | typeof UNKNOWN {
    if (sts.unknownParts.length > 0) {
        return UNKNOWN;
    }
    const c = postgresContainer(sts);
    const data = c ? dataVolume(sts, c, postgresRuntime(view, sts).pgdata) : {};
    if (data.template) {
        const t = asArr(at(sts.res.props, "spec", "volumeClaimTemplates")).find((x) => asStr(at(x, "metadata", "name")) === data.template);
        return requestedBytes(at(t, "spec"));
    }
    return data.claim ? claimBytes(view, sts.meta.namespace, data.claim) : undefined;
}

function scratchRequest(view: StackView, w: Workload, vol: unknown): number | undefined | "emptyDir" | typeof UNKNOWN {
    if (at(vol, "emptyDir") !== undefined) {
        return "emptyDir";
    }
    const claim = asStr(at(vol, "persistentVolumeClaim", "claimName"));
    return claim ? claimBytes(view, w.meta.namespace, claim) : requestedBytes(at(vol, "ephemeral", "volumeClaimTemplate", "spec"));
}

/** Bytes a PersistentVolumeClaim of the stack requests; undefined when the stack has no such claim. */
function claimBytes(view: StackView, namespace: string, claim: string): number | undefined | typeof UNKNOWN {
    const pvc = view.k8s(TYPES.PersistentVolumeClaim, namespace, claim);
    return pvc ? requestedBytes(at(pvc.props, "spec")) : undefined;
}

/** resources.requests.storage of a claim spec (or claim template spec), in bytes. */
function requestedBytes(claimSpec: unknown): number | undefined | typeof UNKNOWN {
    const storage = at(claimSpec, "resources", "requests", "storage");
    if (storage === UNKNOWN) {
        return UNKNOWN;
    }
    const s = asStr(storage);
    return s === undefined ? undefined : parseQuantity(s);
}
