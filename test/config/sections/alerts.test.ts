import { strict as assert } from "assert";
import * as pulumi from "@pulumi/pulumi";
import { problemsOf, validate } from "../helpers";

const URL = "https://hooks.slack.com/services/T000/B000/secret-token";

describe("config/sections/alerts", () => {
    it("posts nothing without a webhook, and failures only by default", () => {
        assert.deepEqual(validate({}).config.alerts, { onSuccess: false });
    });

    it("takes the webhook URL as a secret (set with --secret --path alerts.webhookUrl)", async () => {
        const { config } = validate({ alerts: { webhookUrl: URL, onSuccess: true } }, { secretKeys: ["alerts"] });
        assert.equal(config.alerts.onSuccess, true);
        assert.ok(pulumi.Output.isInstance(config.alerts.webhookUrl));
        assert.equal(await (config.alerts.webhookUrl as unknown as { isSecret: Promise<boolean> }).isSecret, true);
    });

    it("refuses the webhook URL in plain text and a URL that is not https, never showing it", () => {
        const plain = problemsOf({ alerts: { webhookUrl: URL } });
        assert.match(plain, /ternent-postgres:alerts\.webhookUrl is set in plain text: a webhook URL is a credential/);
        const http = problemsOf({ alerts: { webhookUrl: "http://hooks.example/secret-token" } }, { secretKeys: ["alerts"] });
        assert.match(http, /ternent-postgres:alerts\.webhookUrl \(secret, value not shown\) is not an https:\/\/ URL/);
        assert.ok(!plain.includes("secret-token") && !http.includes("secret-token"));
    });
});
