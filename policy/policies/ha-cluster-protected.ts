// Deleting the operator's postgresql resource makes the operator delete the cluster and, by default,
// its volumes (enable_persistent_volume_claim_deletion): in production it is protected.
import { resourcePolicy } from "../lib/checks";
import { objectName } from "../lib/k8s";
import { OPERATOR_CLUSTER_TYPE } from "../lib/operator";
import { stackNameOf } from "../lib/stack";
import { raw } from "../lib/values";
import { POLICY_CONFIG_DEFAULTS } from "../lib/defaults";
import { isProductionStack } from "./stateful-resources-protected";

const DEFAULTS = POLICY_CONFIG_DEFAULTS["ha-cluster-protected"];

export interface HaProtectConfig {
    readonly prodStacks: string[];
    readonly prodTag: string;
    readonly prodTagValues: string[];
}

export const haClusterProtected = resourcePolicy<HaProtectConfig>({
    name: "ha-cluster-protected",
    description: "In production stacks every postgresql resource of the operator has the protect option: deleting it deletes the cluster and, with the operator's defaults, its volumes.",
    remediationSteps: "Set ternent-postgres:protect: true in the production stack file.",
    severity: "critical",
    configSchema: {
        properties: {
            prodStacks: { type: "array", items: { type: "string" }, default: DEFAULTS.prodStacks, description: "Stack names that are production." },
            prodTag: { type: "string", default: DEFAULTS.prodTag, description: "Stack tag that marks production." },
            prodTagValues: { type: "array", items: { type: "string" }, default: DEFAULTS.prodTagValues, description: "Values of prodTag that mean production." },
        },
    },
    validate(args, checks, config) {
        if (args.type !== OPERATOR_CLUSTER_TYPE) args.notApplicable("only the operator's postgresql resources");
        const prod = isProductionStack(args, { ...config, transientComponents: [] });
        if (!prod.prod) args.notApplicable(prod.why);
        if (args.opts.protect) return;
        checks.violation(`postgresql ${objectName(raw(args.props), args.name)} is not protected in a production stack (${prod.why}): deleting it ` +
            `deletes the cluster and, with the operator's defaults, its volumes. Fix: set ternent-postgres:protect: true in Pulumi.${stackNameOf(args.urn)}.yaml.`);
    },
});
