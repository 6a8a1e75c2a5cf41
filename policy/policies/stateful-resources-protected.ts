// In production stacks, everything whose loss loses data or the ability to read it is protected:
// the bucket, the StatefulSet, the generated passwords and keys (RandomPassword/RandomId, above all
// the libsodium key that decrypts every backup), the Secrets carrying them, and generation PVCs.
import { ResourceValidationArgs } from "@pulumi/policy";
import { resourcePolicy } from "../lib/checks";
import { COMPONENT_LABEL, metaOf, objectName, TYPES } from "../lib/k8s";
import { secretEntries, stackNameOf } from "../lib/stack";
import { raw } from "../lib/values";
import { POLICY_CONFIG_DEFAULTS } from "../lib/defaults";

const DEFAULTS = POLICY_CONFIG_DEFAULTS["stateful-resources-protected"];

export interface ProtectConfig {
    readonly prodStacks: string[];
    readonly prodTag: string;
    readonly prodTagValues: string[];
    readonly transientComponents: string[];
}

const CREDENTIAL_KEYS = ["POSTGRES_PASSWORD", "AWS_SECRET_ACCESS_KEY", "WALG_LIBSODIUM_KEY"];

const WHY: Record<string, string> = {
    [TYPES.SpacesBucket]: "deleting or replacing it deletes every backup and WAL segment",
    [TYPES.StatefulSet]: "replacing it restarts the only database pod and, with a changed claim template, detaches its data",
    [TYPES.RandomPassword]: "a replacement generates a new password and locks the application out",
    [TYPES.RandomId]: "a replacement generates a new key; backups encrypted with the old libsodium key become unreadable",
    [TYPES.PersistentVolumeClaim]: "deleting it deletes the database files of that data generation",
    [TYPES.Secret]: "it carries generated credentials or the key that decrypts the backups",
};

/** A production stack: its name is in prodStacks, or its prodTag stack tag is in prodTagValues. */
export function isProductionStack(args: Pick<ResourceValidationArgs, "urn" | "stackTags">, config: ProtectConfig): { prod: boolean; why: string } {
    const stack = stackNameOf(args.urn);
    if (config.prodStacks.includes(stack)) {
        return { prod: true, why: `stack ${stack} is listed in prodStacks` };
    }
    const tag = args.stackTags.get(config.prodTag);
    if (tag !== undefined && config.prodTagValues.includes(tag)) {
        return { prod: true, why: `stack tag ${config.prodTag}=${tag}` };
    }
    return { prod: false, why: `stack ${stack} is not in prodStacks (${config.prodStacks.join(", ")}) and has no ${config.prodTag} tag in ${config.prodTagValues.join(", ")}` };
}

export const statefulResourcesProtected = resourcePolicy<ProtectConfig>({
    name: "stateful-resources-protected",
    description: "In production stacks the Spaces bucket, the StatefulSet, generated RandomPassword/RandomId, Secrets carrying generated credentials or the libsodium key (except one-off recovery copies), and PersistentVolumeClaims have the protect option.",
    remediationSteps: "Set ternent-postgres:protect: true in the production stack file.",
    severity: "critical",
    configSchema: {
        properties: {
            prodStacks: { type: "array", items: { type: "string" }, default: DEFAULTS.prodStacks, description: "Stack names that are production." },
            prodTag: { type: "string", default: DEFAULTS.prodTag, description: "Stack tag (e.g. from pulumi:tags) that marks production." },
            prodTagValues: { type: "array", items: { type: "string" }, default: DEFAULTS.prodTagValues, description: "Values of prodTag that mean production." },
            transientComponents: {
                type: "array", items: { type: "string" }, default: DEFAULTS.transientComponents,
                description: "app.kubernetes.io/component values of Secrets that belong to a one-off recovery and are removed with it.",
            },
        },
    },
    validate(args, checks, config) {
        if (!Object.keys(WHY).includes(args.type)) {
            args.notApplicable("only stateful resource types");
        }
        const prod = isProductionStack(args, config);
        if (!prod.prod) {
            args.notApplicable(prod.why);
        }
        if (args.opts.protect) {
            return;
        }
        const props = raw(args.props);
        let what = `${args.type.split(":").pop()} ${args.type.startsWith("kubernetes:") ? objectName(props, args.name) : args.name}`;
        if (args.type === TYPES.Secret) {
            const { entries, wholeUnknown } = secretEntries(props);
            const component = metaOf(props).labels[COMPONENT_LABEL];
            if (component !== undefined && config.transientComponents.includes(component)) {
                // A recovery's copy of credentials: removing the recovery block must be able to delete it;
                // the generators and the long-lived Secrets stay protected.
                args.notApplicable(`the Secret belongs to a one-off ${component} (transientComponents)`);
            }
            const held = CREDENTIAL_KEYS.filter((k) => entries.has(k));
            if (held.length === 0) {
                if (wholeUnknown) {
                    checks.unknown(`which keys Secret ${objectName(props, args.name)} carries`);
                    return;
                }
                args.notApplicable("the Secret carries no generated credential");
            }
            what += ` (${held.join(", ")})`;
        }
        checks.violation(`${what} is not protected in a production stack (${prod.why}): ${WHY[args.type]}. ` +
            `Fix: set ternent-postgres:protect: true in Pulumi.${stackNameOf(args.urn)}.yaml.`);
    },
});
