import { strict as assert } from "assert";
import { problemsOf, validate } from "../helpers";

describe("config/sections/profile", () => {
    it("defaults to the single profile with no ha settings", () => {
        const { config } = validate({});
        assert.equal(config.profile, "single");
        assert.equal(config.ha, undefined);
    });

    it("gives the ha profile its defaults: two instances, async, the pinned operator's Spilo image", () => {
        const { config } = validate({ profile: "ha" });
        assert.deepEqual(config.ha, {
            instances: 2, replication: "async", operatorNamespace: "postgres-operator", clusterName: "ternent-postgres-ha", teamId: "ternent",
            image: "ghcr.io/zalando/spilo-17:4.0-p3",
        });
    });

    it("refuses an unknown profile, naming the allowed ones", () => {
        assert.match(problemsOf({ profile: "cluster" }), /ternent-postgres:profile = "cluster" is not allowed: must be one of single, ha/);
    });

    it("refuses ha settings without profile ha", () => {
        assert.match(problemsOf({ ha: { instances: 3 } }), /ternent-postgres:ha = \{"instances":3\} is set but ternent-postgres:profile is "single"/);
    });

    it("refuses bad ha values all at once: instances, replication, namespace, image, a cluster named like the single node", () => {
        const msg = problemsOf({
            profile: "ha",
            ha: { instances: 0, replication: "semi", operatorNamespace: "Postgres_Operator", image: "ghcr.io/zalando/spilo-17:latest", clusterName: "ternent-postgres" },
        });
        assert.match(msg, /ternent-postgres:ha\.instances = 0 is not allowed: must be an integer from 1 to 9/);
        assert.match(msg, /ternent-postgres:ha\.replication = "semi" is not allowed: must be one of async, sync/);
        assert.match(msg, /ternent-postgres:ha\.operatorNamespace = "Postgres_Operator" is not a DNS label/);
        assert.match(msg, /ternent-postgres:ha\.image = "ghcr\.io\/zalando\/spilo-17:latest" uses the tag latest/);
        assert.match(msg, /ternent-postgres:ha\.clusterName = "ternent-postgres" is the single node's name/);
    });

    it("warns that one instance is not highly available", () => {
        const { warnings } = validate({ profile: "ha", ha: { instances: 1 } });
        assert.ok(warnings.some((w) => /ternent-postgres:ha\.instances = 1: one pod has no replica to fail over to/.test(w)), warnings.join("\n"));
        assert.ok(!validate({ profile: "ha" }).warnings.some((w) => /ha\.instances/.test(w)));
    });

    it("refuses an unknown ha field (a typo)", () => {
        assert.match(problemsOf({ profile: "ha", ha: { instance: 3 } }), /ternent-postgres:ha\.instance = 3 is not a known field of ternent-postgres:ha \(a typo\?\)/);
    });

    it("warns about an image that is not Spilo", () => {
        const { warnings } = validate({ profile: "ha", ha: { image: "postgres:15.18-bookworm" } });
        assert.ok(warnings.some((w) => /ternent-postgres:ha\.image = "postgres:15\.18-bookworm" is not a Spilo image/.test(w)), warnings.join("\n"));
    });

    it("refuses a recovery or a rollback block with profile ha", () => {
        const msg = problemsOf({ profile: "ha", dataGeneration: 1, recovery: { target: "latest" } });
        assert.match(msg, /ternent-postgres:recovery is set with ternent-postgres:profile = "ha": the program restores into the single node only/);
        assert.match(problemsOf({ profile: "ha", dataGeneration: 0, rollback: { fromGeneration: 1 } }),
            /ternent-postgres:rollback is set with ternent-postgres:profile = "ha": a rollback returns to the single node's volume/);
    });
});
