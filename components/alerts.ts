// The alert webhook as a Secret in the namespace of the jobs that post to it (verify in the primary's,
// the drills in the DR namespace): only the alert sidecar reads it (scripts/alert.sh).

import * as pulumi from "@pulumi/pulumi";
import * as k8s from "@pulumi/kubernetes";
import { NAMES } from "../lib/contract";
import { labelsFor } from "./labels";

/** Secret NAMES.alertsSecret with TERNENT_ALERT_WEBHOOK_URL in `namespace`, child of `parent`. */
export function alertsSecret(name: string, parent: pulumi.Resource, namespace: pulumi.Input<string>, stack: string,
    webhookUrl: pulumi.Output<string>): k8s.core.v1.Secret {
    return new k8s.core.v1.Secret(name, {
        metadata: { name: NAMES.alertsSecret, namespace, labels: labelsFor(stack, "alerts") },
        type: "Opaque",
        stringData: { TERNENT_ALERT_WEBHOOK_URL: webhookUrl },
    }, { parent });
}
