import { strict as assert } from "assert";
import { problemsOf } from "../helpers";

describe("config/sections/kubernetes", () => {
    it("requires in-place updates of Secrets/ConfigMaps when protect is on", () => {
        const msg = problemsOf({ protect: true }, { kubernetes: {} });
        assert.match(msg, /kubernetes:enableSecretMutable = null: must be "true"/);
        assert.match(msg, /kubernetes:enableConfigMapMutable/);
    });
});
