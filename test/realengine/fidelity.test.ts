// The fidelity check (tools/realengine/fidelity.ts) and the stack-file preparation
// (tools/realengine/stackfile.ts) on small fixtures: no engine needed, always run.

import { strict as assert } from "assert";
import * as yaml from "js-yaml";
import { securePlaceholder } from "../../tools/harness";
import { checkFidelity, FidelityInput, formatDifferences, StateResource } from "../../tools/realengine/fidelity";
import { prepareStackFile } from "../../tools/realengine/stackfile";

const SIG = { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" };
const sealed = (): Record<string, unknown> => ({ ...SIG, ciphertext: "v1:abc:def" });
const revealed = (v: unknown): Record<string, unknown> => ({ ...SIG, plaintext: JSON.stringify(v) });

const STACK = "urn:pulumi:prod::ternent-postgres::pulumi:pulumi:Stack::ternent-postgres-prod";
const COMP = "urn:pulumi:prod::ternent-postgres::ternent-postgres:index:Postgres::postgres";
const PW = "urn:pulumi:prod::ternent-postgres::ternent-postgres:index:Postgres$random:index/randomPassword:RandomPassword::postgres-password";
const KEY = "urn:pulumi:prod::ternent-postgres::ternent-postgres:index:Postgres$digitalocean:index/spacesKey:SpacesKey::rw-key";
const SECRET = "urn:pulumi:prod::ternent-postgres::ternent-postgres:index:Postgres$kubernetes:core/v1:Secret::postgres-credentials";
const PASSWORD = "Zq8mN2vX9kL4pR7tW1yB3cD6";
const SECRET_KEY = "c2VjcmV0LWtleS1vZi10aGUtZG91YmxlLTAxMjM0NQ";
const ACCESS_KEY = "DO7H2K9Q4M8X1Z5C3V6B";

const secretObject = {
    apiVersion: "v1", kind: "Secret",
    metadata: { name: "ternent-postgres", namespace: "backend", labels: { "app.kubernetes.io/instance": "prod" } },
    // The program makes the whole stringData secret: the render redacts every value, keeps the keys.
    stringData: { POSTGRES_USER: "<redacted>", POSTGRES_PASSWORD: "<redacted>", AWS_ACCESS_KEY_ID: "<redacted>" },
};

/** A consistent render + export pair; `tweak` changes the export before the check. */
function fixture(tweak: (state: StateResource[], secrets: StateResource[]) => void = () => undefined): FidelityInput {
    const renderFiles = {
        "backend.Secret.ternent-postgres.yaml": `# ${SECRET}\n${yaml.dump(secretObject)}`,
        "resources.json": JSON.stringify([
            { urn: COMP, type: "ternent-postgres:index:Postgres", custom: false, parent: null, options: { protect: false, retainOnDelete: false, import: null, ignoreChanges: [] } },
            { urn: PW, type: "random:index/randomPassword:RandomPassword", custom: true, parent: COMP, options: { protect: true, retainOnDelete: false, import: null, ignoreChanges: [] }, inputs: { length: 24, special: false } },
            { urn: KEY, type: "digitalocean:index/spacesKey:SpacesKey", custom: true, parent: COMP, options: { protect: true, retainOnDelete: false, import: null, ignoreChanges: [] }, inputs: { name: "rw" } },
            { urn: SECRET, type: "kubernetes:core/v1:Secret", custom: true, parent: COMP, options: { protect: true, retainOnDelete: false, import: null, ignoreChanges: [] }, file: "backend.Secret.ternent-postgres.yaml" },
        ]),
    };
    const k8sInputs = (reveal: boolean): Record<string, unknown> => ({
        apiVersion: "v1", kind: "Secret",
        metadata: { name: "ternent-postgres", namespace: "backend", labels: { "app.kubernetes.io/instance": "prod" } },
        stringData: reveal ? revealed({ POSTGRES_USER: "ternent", POSTGRES_PASSWORD: PASSWORD, AWS_ACCESS_KEY_ID: ACCESS_KEY }) : sealed(),
    });
    const build = (reveal: boolean): StateResource[] => [
        { urn: STACK, type: "pulumi:pulumi:Stack", custom: false },
        { urn: "urn:pulumi:prod::ternent-postgres::pulumi:providers:random::default_4_21_2", type: "pulumi:providers:random", custom: true, id: "x" },
        { urn: COMP, type: "ternent-postgres:index:Postgres", custom: false, parent: STACK },
        { urn: PW, type: "random:index/randomPassword:RandomPassword", custom: true, id: "none", parent: COMP, protect: true, inputs: { length: 24, special: false }, outputs: { length: 24, special: false, result: reveal ? revealed(PASSWORD) : sealed() } },
        { urn: KEY, type: "digitalocean:index/spacesKey:SpacesKey", custom: true, id: ACCESS_KEY, parent: COMP, protect: true, inputs: { name: "rw" }, outputs: { name: "rw", accessKey: ACCESS_KEY, secretKey: reveal ? revealed(SECRET_KEY) : sealed() } },
        { urn: SECRET, type: "kubernetes:core/v1:Secret", custom: true, id: "backend/ternent-postgres", parent: COMP, protect: true, inputs: k8sInputs(reveal), outputs: k8sInputs(reveal) },
    ];
    const state = build(false);
    const secretsState = build(true);
    tweak(state, secretsState);
    return { renderFiles, state, secretsState, securePlaintexts: [] };
}

const find = (rs: StateResource[], urn: string): StateResource & { inputs: Record<string, unknown>; outputs: Record<string, unknown> } =>
    rs.find((r) => r.urn === urn) as StateResource & { inputs: Record<string, unknown>; outputs: Record<string, unknown> };

describe("real-engine fidelity check (tools/realengine/fidelity.ts)", () => {
    it("finds no difference when the engine recorded what the render shows", () => {
        const r = checkFidelity(fixture());
        assert.deepEqual(formatDifferences(r.differences), []);
        assert.equal(r.objects, 1);
        assert.equal(r.credentials, 2);
    });

    it("reports a Kubernetes field that differs, with its JSON pointer and both values", () => {
        const r = checkFidelity(fixture((state, secrets) => {
            for (const rs of [state, secrets]) {
                (find(rs, SECRET).inputs.metadata as { labels: Record<string, string> }).labels["app.kubernetes.io/instance"] = "staging";
            }
        }));
        assert.deepEqual(formatDifferences(r.differences), [
            `object ${SECRET} field /metadata/labels/app.kubernetes.io~1instance: render "prod" != engine "staging"`,
        ]);
    });

    it("compares a secret input as redacted leaves, so a key only the engine has is reported", () => {
        const r = checkFidelity(fixture((_state, secrets) => {
            find(secrets, SECRET).inputs.stringData = revealed({ POSTGRES_USER: "ternent", POSTGRES_PASSWORD: PASSWORD, AWS_ACCESS_KEY_ID: ACCESS_KEY, EXTRA: "x" });
        }));
        assert.deepEqual(formatDifferences(r.differences), [`object ${SECRET} field /stringData/EXTRA: render (absent) != engine "<redacted>"`]);
    });

    it("reports a resource the engine recorded that the render does not have", () => {
        const extra: StateResource = { urn: `${SECRET}-2`, type: "kubernetes:core/v1:Secret", custom: true, parent: COMP, inputs: {} };
        const r = checkFidelity(fixture((state, secrets) => { state.push(extra); secrets.push(extra); }));
        assert.deepEqual(formatDifferences(r.differences), [`resource ${SECRET}-2: render "missing" != engine "present"`]);
    });

    it("reports a protect flag the engine recorded differently from the render", () => {
        const r = checkFidelity(fixture((state, secrets) => {
            for (const rs of [state, secrets]) {
                Object.assign(find(rs, SECRET), { protect: false });
            }
        }));
        assert.deepEqual(formatDifferences(r.differences), [`resource ${SECRET} field /options/protect: render true != engine false`]);
    });

    it("reports a generated password that appears in plaintext in the export", () => {
        const r = checkFidelity(fixture((state) => {
            find(state, SECRET).outputs.stringData = { POSTGRES_PASSWORD: PASSWORD };
        }));
        assert.deepEqual(r.differences.map((d) => [d.kind, d.urn]), [["leak", SECRET]]);
        assert.ok(!formatDifferences(r.differences)[0].includes(PASSWORD), "the report must not print the credential");
    });

    it("redacts a Spaces access key id in the comparison without counting it as a leak (it is the key's resource id)", () => {
        const r = checkFidelity(fixture());
        assert.equal(r.differences.length, 0);
        assert.ok(JSON.stringify(fixture().state).includes(ACCESS_KEY));
    });
});

describe("real-engine stack file preparation (tools/realengine/stackfile.ts)", () => {
    const text = [
        "encryptionsalt: v1:abc:def",
        "config:",
        "  kubernetes:enableSecretMutable: \"true\"",
        "  ternent-postgres:spacesReadWriteSecret:",
        "    secure: v1:xyz",
        "  ternent-postgres:walg:",
        "    version: v3.0.9",
        "    sha256:",
        "      secure: v1:uvw",
        "",
    ].join("\n");

    it("moves every secure value out of the copy, with the harness's offline placeholder as plaintext", () => {
        const { doc, secrets } = prepareStackFile(text);
        assert.deepEqual(secrets, [
            { path: "ternent-postgres:spacesReadWriteSecret", value: securePlaceholder("ternent-postgres:spacesReadWriteSecret") },
            { path: "ternent-postgres:walg.sha256", value: securePlaceholder("ternent-postgres:walg.sha256") },
        ]);
        assert.deepEqual(doc.config, { "kubernetes:enableSecretMutable": "true", "ternent-postgres:walg": { version: "v3.0.9" } });
    });

    it("drops the original stack's secrets-provider state", () => {
        assert.equal(prepareStackFile(text).doc.encryptionsalt, undefined);
    });

    it("refuses a stack file that is not a YAML mapping", () => {
        assert.throws(() => prepareStackFile("- a\n- b\n"), /not a YAML mapping/);
    });
});
