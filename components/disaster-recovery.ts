// The DR namespace: restricted pod security, its own WAL-G Secret with the DR key (read-only by
// default) for the current generation's prefix, its own scripts and WAL-G ConfigMaps, and no ingress.
// Nothing in it is created by hand any more.

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { NAMES } from "../lib/contract";
import type { WalgConfig } from "../config";
import { labelsFor } from "./labels";
import { adoptOptions, walgTuning } from "./postgres";
import { WalgAccess, walgSecretAnnotations, walgSecretData } from "./storage";

export interface DisasterRecoveryArgs {
    /** Stack name (app.kubernetes.io/instance). */
    readonly stack: string;
    /** Name of the DR namespace (created here). */
    readonly namespace: string;
    /** The current generation's prefix with the DR key. */
    readonly storage: WalgAccess;
    /** WAL-G tuning. */
    readonly walg: WalgConfig;
    /** scripts/ file name → content. */
    readonly scripts: Readonly<Record<string, string>>;
    /** Protect the Secret carrying the generated libsodium key. */
    readonly protect: boolean;
    /** Import the bundle's Namespace and Secret instead of creating them. */
    readonly adopt: boolean;
}

export class DisasterRecovery extends pulumi.ComponentResource {
    /** The DR namespace's name (an output of the Namespace, so dependents wait for it). */
    readonly namespace: pulumi.Output<string>;
    readonly secretName: string;
    readonly scriptsConfigMapName: string;
    readonly walgConfigMapName: string;
    /** Objects the drills read. */
    readonly objects: readonly pulumi.Resource[];

    constructor(name: string, args: DisasterRecoveryArgs, opts?: pulumi.ComponentResourceOptions) {
        super("ternent-postgres:index:DisasterRecovery", name, {}, opts);
        const labels = labelsFor(args.stack, "dr");
        const adopt = (id: string): pulumi.CustomResourceOptions => adoptOptions(args.adopt, id);

        const namespace = new k8s.core.v1.Namespace(`${name}-namespace`, {
            metadata: {
                name: args.namespace,
                labels: {
                    ...labels,
                    "pod-security.kubernetes.io/enforce": "restricted",
                    "pod-security.kubernetes.io/enforce-version": "latest",
                    "pod-security.kubernetes.io/audit": "restricted",
                    "pod-security.kubernetes.io/warn": "restricted",
                },
            },
        }, { parent: this, ...adopt(args.namespace) });
        this.namespace = namespace.metadata.name;
        const meta = (objectName: string, annotations?: Record<string, pulumi.Input<string>>): k8s.types.input.meta.v1.ObjectMeta =>
            ({ name: objectName, namespace: this.namespace, labels: { ...labels }, annotations });

        const secret = new k8s.core.v1.Secret(`${name}-backup-secret`, {
            metadata: meta(NAMES.backupSecret, walgSecretAnnotations(args.storage)),
            type: "Opaque",
            stringData: walgSecretData(args.storage),
        }, { parent: this, protect: args.protect, ...adopt(`${args.namespace}/${NAMES.backupSecret}`) });

        const scripts = new k8s.core.v1.ConfigMap(`${name}-scripts`, {
            metadata: meta(NAMES.scriptsConfigMap),
            data: { ...args.scripts },
        }, { parent: this });

        const walg = new k8s.core.v1.ConfigMap(`${name}-walg`, {
            metadata: meta(NAMES.walgConfigMap),
            data: walgTuning(args.walg),
        }, { parent: this });

        // Nothing connects to a drill: deny all ingress in the namespace (policyTypes Ingress and no rule;
        // an explicit `ingress: []` is not stored by the API server, so every apply would change it again).
        const policy = new k8s.networking.v1.NetworkPolicy(`${name}-deny-ingress`, {
            metadata: meta(NAMES.drNetworkPolicy),
            spec: { podSelector: {}, policyTypes: ["Ingress"] },
        }, { parent: this });

        this.secretName = NAMES.backupSecret;
        this.scriptsConfigMapName = NAMES.scriptsConfigMap;
        this.walgConfigMapName = NAMES.walgConfigMap;
        this.objects = [namespace, secret, scripts, walg, policy];
        this.registerOutputs({ namespace: this.namespace });
    }
}
