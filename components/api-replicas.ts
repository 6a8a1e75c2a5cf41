// deploy/ternent-api scaled by a DeploymentPatch: down before a restore or rollback touches the data,
// back up once the database runs on it (Recovery and RecoveryHandover).

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { NAMES } from "../lib/contract";

/** Annotation that makes a Patch take over fields another manager owns. */
const PATCH_FORCE = { "pulumi.com/patchForce": "true" };

/** Sets deploy/ternent-api's replicas (recovery and rollback, before and after the StatefulSet). */
export function apiReplicasPatch(name: string, namespace: string, replicas: number, opts: pulumi.CustomResourceOptions): k8s.apps.v1.DeploymentPatch {
    return new k8s.apps.v1.DeploymentPatch(name, {
        metadata: { name: NAMES.apiDeployment, namespace, annotations: { ...PATCH_FORCE } },
        spec: { replicas },
    }, {
        ...opts,
        // Removing the block later must not scale anything.
        retainOnDelete: true,
    });
}
