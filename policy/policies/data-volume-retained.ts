// In production the database's volumes outlive their claims: a PersistentVolume of a StorageClass with
// reclaimPolicy Delete (DOKS's default do-block-storage) is destroyed with its PVC, and `protect` /
// retainOnDelete cover the PVC object, not the volume. The StatefulSet's claim template and every data
// generation's PVC must name a StorageClass known to retain (pack config retainingStorageClasses), or
// be a claim whose bound volume was set to Retain by hand and is listed as such (retainedClaims: an
// adopted bundle's claim template keeps do-block-storage, an immutable field, after its volume was patched).
import { ResourceValidationArgs } from "@pulumi/policy";
import { resourcePolicy } from "../lib/checks";
import { COMPONENT_LABEL, metaOf, objectName, TYPES } from "../lib/k8s";
import { POLICY_CONFIG_DEFAULTS } from "../lib/defaults";
import { templateClaimName } from "../lib/postgres";
import { asArr, asStr, at, raw, UNKNOWN } from "../lib/values";
import { isProductionStack } from "./stateful-resources-protected";

const DEFAULTS = POLICY_CONFIG_DEFAULTS["data-volume-retained"];
const PROTECT = POLICY_CONFIG_DEFAULTS["stateful-resources-protected"];

export interface RetainedConfig {
    readonly retainingStorageClasses: string[];
    readonly retainedClaims: string[];
}

const GENERATION_LABEL = "ternent-postgres/data-generation";

export const dataVolumeRetained = resourcePolicy<RetainedConfig>({
    name: "data-volume-retained",
    description: "In production stacks the database's claim template and data-generation PersistentVolumeClaims use a StorageClass that retains the volume when the claim is deleted.",
    remediationSteps: "Set ternent-postgres:postgres.storageClass to do-block-storage-retain (or another class with reclaimPolicy Retain listed in retainingStorageClasses); for a volume that exists, patch its PersistentVolume's persistentVolumeReclaimPolicy to Retain (README).",
    severity: "critical",
    configSchema: {
        properties: {
            retainingStorageClasses: {
                type: "array", items: { type: "string" }, default: DEFAULTS.retainingStorageClasses,
                description: "StorageClasses whose reclaimPolicy is Retain on the target cluster.",
            },
            retainedClaims: {
                type: "array", items: { type: "string", pattern: "^[a-z0-9-]+/[a-z0-9.-]+$" }, default: DEFAULTS.retainedClaims,
                description: "namespace/claim of PersistentVolumeClaims whose bound PersistentVolume was patched to persistentVolumeReclaimPolicy Retain by hand " +
                    "(e.g. an adopted bundle's backend/data-ternent-postgres-0, README migration step 2): accepted whatever their StorageClass.",
            },
        },
    },
    validate(args, checks, config) {
        const claims = claimsOf(args);
        if (claims === undefined) {
            args.notApplicable("only the database's StatefulSet and data PersistentVolumeClaims");
        }
        const prod = isProductionStack(args, { ...PROTECT });
        if (!prod.prod) {
            args.notApplicable(prod.why);
        }
        for (const { what, storageClass, claimNames } of claims!) {
            if (claimNames.length > 0 && claimNames.every((c) => config.retainedClaims.includes(c))) {
                continue; // patched to Retain by hand, and said so in the pack's config
            }
            if (storageClass === UNKNOWN) {
                checks.unknown(`the storageClassName of ${what}`);
            } else if (storageClass === undefined || !config.retainingStorageClasses.includes(storageClass)) {
                checks.violation(`${what} uses ${storageClass === undefined ? "no storageClassName (the cluster's default class, do-block-storage on DOKS, deletes)" : `StorageClass ${storageClass}`}, ` +
                    `which is not known to retain its volumes (${config.retainingStorageClasses.join(", ")}): deleting the claim would delete the database. ` +
                    `Fix: postgres.storageClass do-block-storage-retain; for a volume that exists, patch its PersistentVolume to Retain and list ${claimNames.join(", ") || "the claim"} in retainedClaims.`);
            }
        }
    },
});

interface Claim {
    readonly what: string;
    readonly storageClass: string | undefined | typeof UNKNOWN;
    /** namespace/name of the claims it stands for (a template: one per replica); empty when unknown. */
    readonly claimNames: string[];
}

function claimsOf(args: ResourceValidationArgs): Claim[] | undefined {
    const props = raw(args.props);
    const meta = metaOf(props);
    const labels = (meta.labels ?? {}) as Record<string, string>;
    const ns = typeof meta.namespace === "string" ? meta.namespace : undefined;
    if (args.type === TYPES.StatefulSet && labels[COMPONENT_LABEL] === "database") {
        const sts = objectName(props, args.name);
        const stsName = typeof meta.name === "string" ? meta.name : undefined;
        const replicas = at(props, "spec", "replicas");
        const count = typeof replicas === "number" ? replicas : replicas === undefined ? 1 : -1;
        return asArr(at(props, "spec", "volumeClaimTemplates")).map((t) => {
            const template = asStr(at(t, "metadata", "name"));
            return {
                what: `claim template ${template} of StatefulSet ${sts}`,
                storageClass: classOf(at(t, "spec", "storageClassName")),
                claimNames: ns && stsName && template && count >= 0 ? Array.from({ length: count }, (_, i) => `${ns}/${templateClaimName(template, stsName, i)}`) : [],
            };
        });
    }
    if (args.type === TYPES.PersistentVolumeClaim && (labels[GENERATION_LABEL] !== undefined || labels[COMPONENT_LABEL] === "database")) {
        return [{
            what: `PersistentVolumeClaim ${objectName(props, args.name)}`,
            storageClass: classOf(at(props, "spec", "storageClassName")),
            claimNames: ns && typeof meta.name === "string" ? [`${ns}/${meta.name}`] : [],
        }];
    }
    return undefined;
}

function classOf(v: unknown): string | undefined | typeof UNKNOWN {
    return v === UNKNOWN ? UNKNOWN : asStr(v);
}
