// What the Postgres server of the stack really runs with: the postgresql.conf it is started with
// (`-c config_file=…`, followed through the volume mounts to the ConfigMap key) overlaid with the
// `-c name=value` options of its command line, which PostgreSQL applies last.

import { parsePgConf, PgConfError } from "./pgconf";
import { commandLine, ContainerRef } from "./k8s";
import { StackView, Workload } from "./stack";
import { asStr, at, UNKNOWN } from "./values";

export interface PgSetting {
    readonly value: string;
    /** Where the effective value comes from, for messages. */
    readonly from: string;
}

export interface PgRuntime {
    readonly workload: Workload;
    readonly container: ContainerRef | undefined;
    readonly configFile: string | undefined;
    readonly confSource: string | undefined;
    readonly settings: Map<string, PgSetting>;
    /** True when the server's settings come from a file the policy read (or the command line alone). */
    readonly confKnown: boolean;
    readonly problems: string[];
    readonly unknown: string[];
    readonly pgdata: string | undefined;
}

const SHELLS = /(^|\/)(sh|bash|dash|ash)$/;

/** The stack's Postgres StatefulSets (StackView.postgres); a stack without one makes the policy not applicable. */
export function postgresOrNotApplicable(view: StackView): Workload[] {
    const sets = view.postgres();
    if (sets.length === 0) {
        view.args.notApplicable("the stack has no Postgres StatefulSet");
    }
    return sets;
}

/** The postgres container of a workload: image postgres:* or a command line starting postgres. */
export function postgresContainer(w: Workload): ContainerRef | undefined {
    const apps = w.containers.filter((c) => c.kind === "container");
    return apps.find((c) => /(^|\/)postgres([:@]|$)/.test(asStr(c.container.image) ?? ""))
        ?? apps.find((c) => commandLine(c.container).some((t) => t === "postgres"))
        ?? apps[0];
}

/** `-c name=value` / `--name=value` options of a postgres command line. */
export function commandLineSettings(tokens: Array<string | typeof UNKNOWN>): { settings: Map<string, string>; unknown: boolean } {
    let list = tokens;
    const settings = new Map<string, string>();
    let unknown = false;
    // `sh -c "exec docker-entrypoint.sh postgres -c …"`: read the script's words.
    if (typeof list[0] === "string" && SHELLS.test(list[0]) && list[1] === "-c" && typeof list[2] === "string") {
        list = list[2].split(/\s+/).filter((t) => t !== "");
    }
    for (let i = 0; i < list.length; i++) {
        const t = list[i];
        if (t === UNKNOWN) {
            unknown = true;
            continue;
        }
        let kv: string | undefined;
        if (t === "-c") {
            const next = list[++i];
            if (next === UNKNOWN) {
                unknown = true;
                continue;
            }
            kv = next;
        } else if (t.startsWith("-c") && t.length > 2) {
            kv = t.slice(2);
        } else if (t.startsWith("--") && t.includes("=")) {
            kv = t.slice(2);
        }
        if (kv !== undefined && kv.includes("=")) {
            const eq = kv.indexOf("=");
            settings.set(kv.slice(0, eq).trim().toLowerCase().replace(/-/g, "_"), kv.slice(eq + 1).replace(/^'(.*)'$/, "$1"));
        }
    }
    return { settings, unknown };
}

export function postgresRuntime(view: StackView, w: Workload): PgRuntime {
    const problems: string[] = [];
    const unknown: string[] = [];
    const settings = new Map<string, PgSetting>();
    const container = postgresContainer(w);
    let configFile: string | undefined;
    let confSource: string | undefined;
    let confKnown = false;
    let pgdata: string | undefined;
    if (w.unknownParts.length > 0) {
        unknown.push(`the pod template of StatefulSet ${w.id}`);
    }
    if (container) {
        const cl = commandLineSettings(commandLine(container.container));
        if (cl.unknown) {
            unknown.push(`the command line of container ${container.name} in ${w.id}`);
        }
        configFile = cl.settings.get("config_file");
        const env = view.resolveEnv(w.meta.namespace, container.container);
        const pg = env.vars.get("PGDATA");
        pgdata = pg && pg.from === "value" && typeof pg.value === "string" ? pg.value : undefined;
        if (configFile !== undefined) {
            const file = view.fileText(w, container.container, configFile);
            confSource = file.source;
            if (file.unknown) {
                unknown.push(`${configFile} (${file.source ?? "its volume"})`);
            } else if (file.problem) {
                problems.push(`postgres reads config_file=${configFile}, but ${file.problem}`);
            } else if (file.text !== undefined) {
                try {
                    for (const [k, v] of parsePgConf(file.text)) {
                        settings.set(k, { value: v, from: `${configFile} (${file.source})` });
                    }
                    confKnown = true;
                } catch (e) {
                    if (!(e instanceof PgConfError)) {
                        throw e;
                    }
                    problems.push(`${configFile} (${file.source}) does not parse: ${e.message}`);
                }
                for (const directive of ["include", "include_if_exists", "include_dir"]) {
                    if (settings.has(directive)) {
                        problems.push(`${configFile} has an ${directive} directive (${settings.get(directive)!.value}); ` +
                            "the policy cannot see included files: keep archive settings in the file itself");
                    }
                }
            }
        } else {
            // Without config_file the server reads $PGDATA/postgresql.conf from the volume: only the
            // command line is visible.
            confKnown = false;
        }
        for (const [k, v] of cl.settings) {
            if (k !== "config_file") {
                settings.set(k, { value: v, from: `the command line of container ${container.name} (-c ${k}=…)` });
            }
        }
    } else if (w.unknownParts.length === 0) {
        problems.push(`StatefulSet ${w.id} has no container`);
    }
    return { workload: w, container, configFile, confSource, settings, confKnown, problems, unknown, pgdata };
}

/**
 * The mount that holds a path in a container (the longest mount path covering it, as the kernel
 * resolves it) and the pod volume behind that mount.
 */
export function volumeAt(w: Workload, container: ContainerRef, path: string): { mountPath: string; volume: string; spec: unknown } | undefined {
    const mounts = at(container.container, "volumeMounts");
    let best: { mountPath: string; volume: string } | undefined;
    for (const m of Array.isArray(mounts) ? mounts : []) {
        const mountPath = asStr(at(m, "mountPath"))?.replace(/\/+$/, "");
        const volume = asStr(at(m, "name"));
        if (mountPath && volume && (path === mountPath || path.startsWith(`${mountPath}/`))
            && (!best || mountPath.length > best.mountPath.length)) {
            best = { mountPath, volume };
        }
    }
    if (!best) {
        return undefined;
    }
    const vols = at(w.podSpec, "volumes");
    return { ...best, spec: (Array.isArray(vols) ? vols : []).find((v) => asStr(at(v, "name")) === best!.volume) };
}

/** The claim a StatefulSet's controller creates from a claim template for a pod: <template>-<statefulset>-<ordinal>. */
export function templateClaimName(template: string, statefulSet: string, ordinal: number): string {
    return `${template}-${statefulSet}-${ordinal}`;
}

/** The volume (mount path) holding PGDATA in a container, and the claim behind it. */
export function dataVolume(w: Workload, container: ContainerRef, pgdata: string | undefined): {
    mountPath?: string; volume?: string; claim?: string; template?: string;
} {
    const found = volumeAt(w, container, pgdata ?? "/var/lib/postgresql/data");
    if (!found) {
        return {};
    }
    const best = { mountPath: found.mountPath, volume: found.volume };
    const vol = found.spec;
    const claim = asStr(at(vol, "persistentVolumeClaim", "claimName"));
    if (claim) {
        return { ...best, claim };
    }
    const templates = at(w.res.props, "spec", "volumeClaimTemplates");
    const template = (Array.isArray(templates) ? templates : []).find((t) => asStr(at(t, "metadata", "name")) === best.volume);
    if (template && w.meta.name) {
        // Pod ordinal 0: the project runs a single replica.
        return { ...best, template: best.volume, claim: templateClaimName(best.volume, w.meta.name, 0) };
    }
    return best;
}
