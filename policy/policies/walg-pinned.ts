// WAL-G is pinned and verified: every pod that runs WAL-G installs it with an init container whose
// WALG_VERSION is a release (not latest), WALG_URL an https URL of that release, WALG_SHA256 64 hex
// digits, and whose installer script really checks the sha256 before installing.
import { stackPolicy } from "../lib/checks";
import { codeLines, commandLine, ContainerRef, runsScript } from "../lib/k8s";
import { StackView, Workload } from "../lib/stack";
import { walgConsumers } from "../lib/walg";
import { envLookup, scriptOf, stackFile, stackKey } from "../lib/workloads";

function isInstaller(view: StackView, w: Workload, c: ContainerRef): boolean {
    return c.kind === "initContainer" &&
        (runsScript(c.container, "walg-install.sh") || view.resolveEnv(w.meta.namespace, c.container).vars.has("WALG_URL"));
}

/** The installer verifies WALG_SHA256 with a sha256 tool before installing. */
function verifies(text: string): boolean {
    const code = codeLines(text).join("\n");
    return /WALG_SHA256/.test(code) && /(sha256sum|shasum\s+-a\s*256|openssl\s+(dgst\s+)?-?sha256)/.test(code);
}

export const walgPinned = stackPolicy<object>({
    name: "walg-pinned",
    description: "Every pod with a WAL-G consumer installs WAL-G in an init container from a pinned release: WALG_VERSION vX.Y.Z (not latest), WALG_URL https and naming that version, WALG_SHA256 of 64 hex digits, and an installer (walg-install.sh from the scripts ConfigMap) that verifies the sha256.",
    remediationSteps: "Set ternent-postgres:walg.version, walg.url (the release asset of that version) and walg.sha256 (64 hex digits) in the stack file.",
    severity: "high",
    validate(args, checks) {
        const view = new StackView(args);
        const fix = `Fix: set ${stackKey(view, "walg")}.version, .url and .sha256 of one WAL-G release in ${stackFile(view)}.`;
        const consumerPods = new Map<string, Workload>();
        for (const { w } of walgConsumers(view)) {
            consumerPods.set(w.res.urn, w);
        }
        const installers: Array<{ w: Workload; c: ContainerRef }> = [];
        for (const w of view.workloads()) {
            for (const c of w.containers) {
                if (isInstaller(view, w, c)) {
                    installers.push({ w, c });
                }
            }
        }
        if (consumerPods.size === 0 && installers.length === 0) {
            args.notApplicable("no pod runs WAL-G");
        }
        for (const w of consumerPods.values()) {
            if (w.unknownParts.length > 0) {
                checks.unknown(`the init containers of ${w.id}`);
            } else if (!installers.some((i) => i.w.res.urn === w.res.urn)) {
                checks.violation(`${w.id} runs WAL-G consumers but no init container installs a pinned, verified WAL-G ` +
                    `(walg-install.sh with WALG_URL/WALG_SHA256): the wal-g it runs is unverified. ${fix}`, w.res.urn);
            }
        }
        for (const { w, c } of installers) {
            const who = `init container ${c.name} of ${w.id}`;
            const get = (name: string) => envLookup(view, w, c, name);
            const version = get("WALG_VERSION");
            const url = get("WALG_URL");
            const sha = get("WALG_SHA256");
            for (const v of [version, url, sha]) {
                if (v.kind === "unknown") {
                    checks.unknown(v.where);
                } else if (v.kind === "missing") {
                    checks.violation(`${v.where}: the installer cannot pin WAL-G. ${fix}`, w.res.urn);
                }
            }
            if (version.kind === "value" && !/^v?\d+\.\d+\.\d+$/.test(version.value.trim())) {
                checks.violation(`${who}: WALG_VERSION=${JSON.stringify(version.value)} is not a release version like v3.0.9 ` +
                    `("latest" and branches move). ${fix}`, w.res.urn);
            }
            if (url.kind === "value") {
                const u = url.value.trim();
                const ver = version.kind === "value" ? version.value.trim().replace(/^v/, "") : undefined;
                if (!u.startsWith("https://")) {
                    checks.violation(`${who}: WALG_URL=${JSON.stringify(u)} is not an https URL (file:// is for the lab only). ${fix}`, w.res.urn);
                } else if (/latest/i.test(u)) {
                    checks.violation(`${who}: WALG_URL=${JSON.stringify(u)} points at "latest", which changes under the pinned sha256. ${fix}`, w.res.urn);
                } else if (ver !== undefined && !u.includes(ver)) {
                    checks.violation(`${who}: WALG_URL=${JSON.stringify(u)} does not name version ${ver} (WALG_VERSION): ` +
                        `the URL is not versioned. ${fix}`, w.res.urn);
                }
            }
            if (sha.kind === "value" && !/^[0-9a-fA-F]{64}$/.test(sha.value.trim())) {
                checks.violation(`${who}: WALG_SHA256=${JSON.stringify(sha.value)} is not 64 hex digits. ${fix}`, w.res.urn);
            }
            if (runsScript(c.container, "walg-install.sh")) {
                const script = scriptOf(view, w, c, "walg-install.sh");
                if (script.unknown) {
                    checks.unknown(script.unknown);
                } else if (script.problem) {
                    checks.violation(`${script.problem}: the installer that checks the sha256 is missing.`, w.res.urn);
                } else if (script.text !== undefined && !verifies(script.text)) {
                    checks.violation(`${who} runs ${script.path}, which never compares the download with WALG_SHA256 ` +
                        "(no sha256sum over the file checked against WALG_SHA256): the pin is not enforced.", w.res.urn);
                }
            } else {
                const inline = commandLine(c.container).filter((t): t is string => typeof t === "string").join("\n");
                if (!verifies(inline)) {
                    checks.violation(`${who} installs WAL-G without walg-install.sh and its command never checks WALG_SHA256 ` +
                        "with sha256sum: the download is unverified. Fix: run /ternent/scripts/walg-install.sh.", w.res.urn);
                }
            }
        }
    },
});
