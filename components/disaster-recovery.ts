// The DR namespace: restricted pod security, its own WAL-G Secret with the DR key (read-only by
// default) for the current generation's prefix, its own scripts and WAL-G ConfigMaps, and no ingress.
// Nothing in it is created by hand any more.

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { NAMES } from "../lib/contract";
import { adoptOptions, StackContext } from "./context";
import { labelsFor } from "./labels";
import { podConfigMaps } from "./pod";
import { WalgAccess, walgSecretAnnotations, walgSecretData } from "./walg";

export interface DisasterRecoveryArgs {
    /** Values every component needs (the DR namespace is created here). */
    readonly context: StackContext;
    /** The current generation's prefix with the DR key. */
    readonly storage: WalgAccess;
}

/** What the drills need of the DR namespace (DisasterRecovery outputs). */
export interface DrRefs {
    /** The DR namespace's name (an output of the Namespace, so dependents wait for it). */
    readonly namespace: pulumi.Output<string>;
    /** DR Secret with the WAL-G env (DR key). */
    readonly secretName: string;
    /** DR scripts ConfigMap. */
    readonly scriptsConfigMapName: string;
    /** DR WAL-G tuning ConfigMap. */
    readonly walgConfigMapName: string;
    /** Objects the drills read: they are created after them. */
    readonly objects: readonly pulumi.Resource[];
}

export class DisasterRecovery extends pulumi.ComponentResource implements DrRefs {
    readonly namespace: pulumi.Output<string>;
    readonly secretName: string;
    readonly scriptsConfigMapName: string;
    readonly walgConfigMapName: string;
    readonly objects: readonly pulumi.Resource[];

    constructor(name: string, args: DisasterRecoveryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ternent-postgres:index:DisasterRecovery", name, {}, opts);
        const { stack, namespaces, walg, scripts, protect } = args.context;
        const labels = labelsFor(stack, "dr");
        const adopt = (id: string): pulumi.CustomResourceOptions => adoptOptions(args.context.adopt, id);

        const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, {
            metadata: {
                name: namespaces.dr,
                labels: {
                    ...labels,
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            },
        }, { parent: this, ...adopt(namespaces.dr) });
        this.namespace = namespace.metadata.name;
        const meta = (objectName: string, annotations?: Record<string, pulumi.Input<string>>): k8s.types.input.meta.v1.ObjectMeta =>
            ({ name: objectName, namespace: this.namespace, labels: { ...labels }, annotations });

        const secret = new k8s.core.v1.Secret(`${name}-backup-secret`, {
            metadata: meta(NAMES.backupSecret, walgSecretAnnotations(args.storage)),
            type: "Opaque",
            stringData: walgSecretData(args.storage),
        }, { parent: this, protect, ...adopt(`${namespaces.dr}/${NAMES.backupSecret}`) });

        const [scriptsMap, walgMap] = podConfigMaps(name, this, meta, scripts, walg);

        // Nothing connects to a drill: deny all ingress in the namespace (policyTypes Ingress and no rule;
        // an explicit `ingress: []` is not stored by the API server, so every apply would change it again).
        const policy = new k8s.networking.v1.NetworkPolicy(`${name}-deny-ingress`, {
            metadata: meta(NAMES.drNetworkPolicy),
            spec: { podSelector: {}, policyTypes: ["Ingress"] },
        }, { parent: this });

        this.secretName = NAMES.backupSecret;
        this.scriptsConfigMapName = NAMES.scriptsConfigMap;
        this.walgConfigMapName = NAMES.walgConfigMap;
        this.objects = [namespace, secret, scriptsMap, walgMap, policy];
        this.registerOutputs({ namespace: this.namespace });
    }
}
