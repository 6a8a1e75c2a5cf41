// Reading what a workload's pods run: the pod spec a resource policy checks, one environment variable
// with where it came from, the CronJob schedule and its worst-case interval, and the script file a
// container executes.

import { ResourceValidationArgs } from "@pulumi/policy";
import { Checks } from "./checks";
import { CronError, maxIntervalSeconds, parseCron } from "./cron";
import { commandLine, ContainerRef, kindOf, objectName, podTemplateOf, POD_TYPES, ROLE_SCRIPTS } from "./k8s";
import { PROJECT } from "./project";
import { EnvValue, lastEnvFromCandidate, StackView, Workload } from "./stack";
import { asStr, at, raw, show, UNKNOWN } from "./values";

/**
 * The pod spec of the resource a resource policy checks, with "Kind namespace/name" for its messages.
 * A resource without a pod template makes the policy not applicable (`reason`); while the engine does
 * not know the template, the check is noted as hidden and the result is undefined.
 */
export function podSpecToCheck(args: ResourceValidationArgs, checks: Checks, reason: string): { id: string; spec: unknown } | undefined {
    if (!POD_TYPES.includes(args.type)) {
        args.notApplicable(reason);
    }
    const props = raw(args.props);
    const id = `${kindOf(args.type)} ${objectName(props, args.name)}`;
    const template = podTemplateOf(args.type, props);
    const spec = template === UNKNOWN ? UNKNOWN : at(template, "spec");
    if (spec === UNKNOWN) {
        checks.unknown(`the pod template of ${id}`);
        return undefined;
    }
    return { id, spec };
}

export type EnvLookup =
    | { readonly kind: "value"; readonly value: string; readonly where: string; readonly source: string }
    | { readonly kind: "unknown"; readonly where: string; readonly source?: string }
    | { readonly kind: "missing"; readonly where: string };

/**
 * True when two variables are the same value by construction (same Secret/ConfigMap key, or the
 * same envFrom sources), even while the value itself is unknown.
 */
export function sameSource(a: EnvLookup, b: EnvLookup): boolean {
    const sa = a.kind === "missing" ? undefined : a.source;
    const sb = b.kind === "missing" ? undefined : b.source;
    return sa !== undefined && sa === sb;
}

function describeSource(name: string, v: EnvValue, container: string): string {
    switch (v.from) {
        case "value":
            return `${name}=${show(v.value)} on container ${container}`;
        case "secret":
        case "configMap":
            return `${name}=${v.value === undefined ? "(not found)" : v.from === "secret" ? "(secret)" : show(v.value)} ` +
                `from ${v.from === "secret" ? "Secret" : "ConfigMap"} ${v.name} key ${v.key} (container ${container})`;
        default:
            return `${name} on container ${container} (${v.from})`;
    }
}

/** WAL-G storage settings, which the primary's archive_command may read from a file instead of its env. */
const WALG_FILE_KEY = /^(WALG_[A-Z0-9_]+|AWS_[A-Z0-9_]+|TERNENT_DATA_GENERATION)$/;

/**
 * The Secret behind a container's TERNENT_WALG_ENV_FILE: the pod's init container that writes that file
 * (same TERNENT_WALG_ENV_FILE, scripts/walg-secret.sh) from a mounted Secret volume. archive-command.sh
 * and restore-command.sh load the WAL-G storage settings from it, so for them it is the environment.
 */
export function walgEnvFileSecret(w: Workload, c: ContainerRef): string | undefined {
    const envOf = (x: unknown, n: string) => {
        const e = (at(x, "env") as unknown[] | undefined ?? []).find((i) => asStr(at(i, "name")) === n);
        return e ? asStr(at(e, "value")) : undefined;
    };
    const file = envOf(c.container, "TERNENT_WALG_ENV_FILE");
    if (!file) {
        return undefined;
    }
    const inits = at(w.podSpec, "initContainers");
    const writer = (Array.isArray(inits) ? inits : []).find((i) => envOf(i, "TERNENT_WALG_ENV_FILE") === file);
    if (!writer) {
        return undefined;
    }
    const volumes = at(w.podSpec, "volumes");
    for (const m of (at(writer, "volumeMounts") as unknown[] | undefined) ?? []) {
        const vol = (Array.isArray(volumes) ? volumes : []).find((v) => asStr(at(v, "name")) === asStr(at(m, "name")));
        const secret = asStr(at(vol, "secret", "secretName"));
        if (secret) {
            return secret;
        }
    }
    return undefined;
}

/** One environment variable of a container, resolved, with a description of its source. */
export function envLookup(view: StackView, w: Workload, c: ContainerRef, name: string): EnvLookup {
    const env = view.resolveEnv(w.meta.namespace, c.container);
    let v = env.vars.get(name);
    const fileSecret = !v && WALG_FILE_KEY.test(name) ? walgEnvFileSecret(w, c) : undefined;
    if (fileSecret) {
        // Resolved as if the Secret were envFrom'd: that is what archive_command runs with.
        v = view.resolveEnv(w.meta.namespace, { envFrom: [{ secretRef: { name: fileSecret } }] }).vars.get(name);
    }
    if (!v) {
        if (env.opaque.length > 0) {
            const candidate = env.opaque.some((o) => o.includes("(unknown")) ? undefined : lastEnvFromCandidate(env, name);
            return {
                kind: "unknown", where: `${name} on container ${c.name} of ${w.id} (it may come from ${env.opaque.join(", ")})`,
                source: candidate === undefined ? undefined : `envFrom:${candidate}#${name}`,
            };
        }
        return { kind: "missing", where: `${name} is not set on container ${c.name} of ${w.id}` };
    }
    const where = `${describeSource(name, v, c.name)} of ${w.id}`;
    if (v.from === "value") {
        return v.value === UNKNOWN ? { kind: "unknown", where } : { kind: "value", value: v.value, where, source: `value:${v.value}` };
    }
    if (v.from === "secret" || v.from === "configMap") {
        const source = `${v.from}:${w.meta.namespace}/${v.name}#${v.key}`;
        if (v.value === UNKNOWN) {
            return { kind: "unknown", where, source };
        }
        if (v.value === undefined) {
            return v.object
                ? { kind: "missing", where: `${where}: the ${v.from === "secret" ? "Secret" : "ConfigMap"} has no key ${v.key}` }
                : { kind: "unknown", where: `${where}: the object is not managed by this stack`, source };
        }
        return { kind: "value", value: v.value, where, source };
    }
    return { kind: "unknown", where };
}

export interface Schedule {
    readonly expression?: string;
    readonly suspended: boolean;
    readonly timeZone?: string;
    /** Worst-case seconds between two runs (Infinity: never fires twice); undefined when unknown/invalid. */
    readonly maxIntervalSeconds?: number;
    readonly problem?: string;
    readonly unknown?: boolean;
}

const UTC_ZONES = new Set(["UTC", "Etc/UTC", "Etc/GMT", "GMT", "Etc/Universal", "Universal", "Zulu", "Etc/Zulu"]);

/** A CronJob's schedule; a non-UTC timeZone adds an hour for daylight-saving shifts. */
export function scheduleOf(w: Workload): Schedule {
    const expr = at(w.res.props, "spec", "schedule");
    const suspend = at(w.res.props, "spec", "suspend");
    const tz = at(w.res.props, "spec", "timeZone");
    if (expr === UNKNOWN || suspend === UNKNOWN || tz === UNKNOWN) {
        return { suspended: false, unknown: true };
    }
    const suspended = suspend === true;
    const timeZone = asStr(tz);
    if (typeof expr !== "string") {
        return { suspended, timeZone, problem: "spec.schedule is not set" };
    }
    try {
        const spec = parseCron(expr);
        let worst = maxIntervalSeconds(spec);
        if (timeZone && !UTC_ZONES.has(timeZone)) {
            worst += 3600;
        }
        return { expression: expr, suspended, timeZone, maxIntervalSeconds: worst };
    } catch (e) {
        if (e instanceof CronError) {
            return { expression: expr, suspended, timeZone, problem: `schedule ${JSON.stringify(expr)} is invalid: ${e.message}` };
        }
        throw e;
    }
}

export function humanSeconds(seconds: number): string {
    if (!Number.isFinite(seconds)) {
        return "never (fires at most once)";
    }
    if (seconds % 86400 === 0) {
        return `${seconds / 86400} day(s)`;
    }
    if (seconds % 3600 === 0) {
        return `${seconds / 3600} hour(s)`;
    }
    return `${(seconds / 3600).toFixed(2)} hours`;
}

/** Expands $(VAR) references in a command token with the container's literal env values. */
function expandVars(view: StackView, w: Workload, c: ContainerRef, token: string): string {
    return token.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (all, name: string) => {
        const v = envLookup(view, w, c, name);
        return v.kind === "value" ? v.value : all;
    });
}

export interface ScriptCheck {
    readonly path?: string;
    readonly text?: string;
    readonly problem?: string;
    readonly unknown?: string;
}

/** Finds the path of `script` on the container's command line and reads it from its ConfigMap. */
export function scriptOf(view: StackView, w: Workload, c: ContainerRef, script: string): ScriptCheck {
    const tokens = commandLine(c.container);
    const re = new RegExp(`[^\\s"';]*${script.replace(/\./g, "\\.")}`);
    let path: string | undefined;
    for (const t of tokens) {
        if (typeof t !== "string") {
            continue;
        }
        const m = re.exec(t);
        if (m) {
            path = expandVars(view, w, c, m[0]);
            break;
        }
    }
    if (path === undefined) {
        if (tokens.includes(UNKNOWN)) {
            return { unknown: `the command of container ${c.name} in ${w.id}` };
        }
        return { problem: `container ${c.name} of ${w.id} does not run ${script} (command: ${show(tokens)})` };
    }
    if (!path.startsWith("/")) {
        const dir = envLookup(view, w, c, "TERNENT_SCRIPTS");
        if (/^\$\{?TERNENT_SCRIPTS\}?\//.test(path) && dir.kind === "value") {
            path = `${dir.value.replace(/\/+$/, "")}/${script}`;
        } else {
            return { path, problem: `container ${c.name} of ${w.id} runs ${path}, a path the policy cannot resolve to a file` };
        }
    }
    const file = view.fileText(w, c.container, path);
    if (file.unknown) {
        return { path, unknown: `${path} in ${w.id} (${file.source ?? "its volume"})` };
    }
    if (file.problem) {
        return { path, problem: `container ${c.name} of ${w.id} runs ${path}, but ${file.problem}` };
    }
    return { path, text: file.text };
}

/** The container of a role's workload that runs the role's script (else its first app container). */
export function roleContainer(w: Workload): ContainerRef | undefined {
    const script = w.role ? ROLE_SCRIPTS[w.role] : undefined;
    const apps = w.containers.filter((c) => c.kind === "container");
    if (script) {
        const re = new RegExp(script.replace(/\./g, "\\."));
        const running = w.containers.find((c) => commandLine(c.container).some((t) => typeof t === "string" && re.test(t)));
        if (running) {
            return running;
        }
    }
    return apps[0];
}

/** A stack config key of the project, for messages (e.g. ternent-postgres:retention.daily). */
export function stackKey(view: StackView, key: string): string {
    const project = /^urn:pulumi:[^:]+::([^:]+)::/.exec(view.resources[0]?.urn ?? "")?.[1] ?? PROJECT;
    return `${project}:${key}`;
}

/** The stack file the fix goes into. */
export function stackFile(view: StackView): string {
    return `Pulumi.${view.stackName || "<stack>"}.yaml`;
}

