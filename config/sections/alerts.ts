// ternent-postgres:alerts: where the drills and verify post their verdict (a Slack-compatible incoming
// webhook; the URL is a credential: `pulumi config set --secret --path alerts.webhookUrl …`) and whether
// passing runs are posted too (failures always are).

import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS } from "../defaults";
import { Reader } from "../reader";

export interface AlertsConfig {
    /** The webhook URL (secret); absent: no alerting sidecar, nothing posted. */
    readonly webhookUrl?: pulumi.Output<string>;
    /** Post passing verdicts too. */
    readonly onSuccess: boolean;
}

export function readAlerts(r: Reader, value: unknown, secret: boolean): AlertsConfig {
    const o = r.object("alerts", value, ["webhookUrl", "onSuccess"]) ?? {};
    const onSuccess = r.bool("alerts.onSuccess", o.onSuccess, DEFAULTS.alerts.onSuccess);
    if (o.webhookUrl === undefined || o.webhookUrl === null || o.webhookUrl === "") {
        return { onSuccess };
    }
    if (!secret) {
        r.problems.push(`${r.key("alerts.webhookUrl")} is set in plain text: a webhook URL is a credential, set it with ` +
            "`pulumi config set --secret --path alerts.webhookUrl …`");
    }
    if (typeof o.webhookUrl !== "string" || !/^https:\/\/[^\s/]+\/\S*$/.test(o.webhookUrl)) {
        r.secretProblem("alerts.webhookUrl", "is not an https:// URL (e.g. a Slack incoming webhook)");
        return { onSuccess };
    }
    return { webhookUrl: pulumi.secret(o.webhookUrl), onSuccess };
}
