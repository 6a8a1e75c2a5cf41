// In production the database's volumes outlive their claims: a PersistentVolume of a StorageClass with
// reclaimPolicy Delete (DOKS's default do-block-storage) is destroyed with its PVC, and `protect` /
// retainOnDelete cover the PVC object, not the volume. The StatefulSet's claim template and every data
// generation's PVC must name a StorageClass known to retain (pack config retainingStorageClasses).
import { ResourceValidationArgs } from "@pulumi/policy";
import { resourcePolicy } from "../lib/checks";
import { COMPONENT_LABEL, metaOf, objectName, TYPES } from "../lib/k8s";
import { POLICY_CONFIG_DEFAULTS } from "../lib/defaults";
import { asArr, asStr, at, raw, UNKNOWN } from "../lib/values";
import { isProductionStack } from "./stateful-resources-protected";

const DEFAULTS = POLICY_CONFIG_DEFAULTS["data-volume-retained"];
const PROTECT = POLICY_CONFIG_DEFAULTS["stateful-resources-protected"];

export interface RetainedConfig {
    readonly retainingStorageClasses: string[];
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
        for (const { what, storageClass } of claims!) {
            if (storageClass === UNKNOWN) {
                checks.unknown(`the storageClassName of ${what}`);
            } else if (storageClass === undefined || !config.retainingStorageClasses.includes(storageClass)) {
                checks.violation(`${what} uses ${storageClass === undefined ? "no storageClassName (the cluster's default class, do-block-storage on DOKS, deletes)" : `StorageClass ${storageClass}`}, ` +
                    `which is not known to retain its volumes (${config.retainingStorageClasses.join(", ")}): deleting the claim would delete the database. ` +
                    "Fix: postgres.storageClass do-block-storage-retain.");
            }
        }
    },
});

function claimsOf(args: ResourceValidationArgs): { what: string; storageClass: string | undefined | typeof UNKNOWN }[] | undefined {
    const props = raw(args.props);
    const labels = (metaOf(props).labels ?? {}) as Record<string, string>;
    if (args.type === TYPES.StatefulSet && labels[COMPONENT_LABEL] === "database") {
        return asArr(at(props, "spec", "volumeClaimTemplates")).map((t) => ({
            what: `claim template ${asStr(at(t, "metadata", "name"))} of StatefulSet ${objectName(props, args.name)}`,
            storageClass: classOf(at(t, "spec", "storageClassName")),
        }));
    }
    if (args.type === TYPES.PersistentVolumeClaim && (labels[GENERATION_LABEL] !== undefined || labels[COMPONENT_LABEL] === "database")) {
        return [{ what: `PersistentVolumeClaim ${objectName(props, args.name)}`, storageClass: classOf(at(props, "spec", "storageClassName")) }];
    }
    return undefined;
}

function classOf(v: unknown): string | undefined | typeof UNKNOWN {
    return v === UNKNOWN ? UNKNOWN : asStr(v);
}
