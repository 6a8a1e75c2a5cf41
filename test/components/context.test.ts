import { strict as assert } from "assert";
import { adoptOptions, stackContext } from "../../components";
import { SCRIPTS_DIR } from "../../components/scripts";
import { validate } from "../config/helpers";

describe("components/context (StackContext)", () => {
    it("carries the stack, namespaces, the postgres image, WAL-G, protect and adopt of the config, and the repository's scripts", () => {
        const { config } = validate({
            protect: true, namespaces: { primary: "db", dr: "db-dr" }, postgres: { image: "postgres:15.9-bookworm" }, walg: { compression: "zstd" },
        });
        const context = stackContext(config);
        assert.equal(context.stack, "dev");
        assert.deepEqual({ ...context.namespaces }, { primary: "db", dr: "db-dr" });
        assert.equal(context.image, "postgres:15.9-bookworm");
        assert.equal(context.walg, config.walg);
        assert.equal(context.protect, true);
        assert.equal(context.adopt, false);
        assert.ok(Object.keys(context.scripts).includes("restore.sh"), `scripts from ${SCRIPTS_DIR}`);
        assert.deepEqual(stackContext(config, { "a.sh": "x" }).scripts, { "a.sh": "x" });
    });

    it("imports by id and retains on delete only when adopting", () => {
        assert.deepEqual(adoptOptions(true, "backend/ternent-postgres"), { import: "backend/ternent-postgres", retainOnDelete: true });
        assert.deepEqual(adoptOptions(false, "backend/ternent-postgres"), {});
    });
});
