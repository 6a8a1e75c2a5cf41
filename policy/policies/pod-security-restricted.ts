// Every pod template meets the Kubernetes "restricted" Pod Security Standard (so it runs in a
// namespace that enforces it, like the DR namespace), and namespaces the stack creates enforce it.
import { resourcePolicy } from "../lib/checks";
import { containersOf, TYPES } from "../lib/k8s";
import { metaOf } from "../lib/k8s";
import { asArr, asObj, asStr, at, Obj, raw, strings, UNKNOWN } from "../lib/values";
import { podSpecToCheck } from "../lib/workloads";

const ALLOWED_VOLUMES = ["configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim", "projected", "secret"];
const SAFE_SYSCTLS = [
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
];
const SELINUX_TYPES = ["", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"];

/** Problems of a pod spec against the restricted profile; `unknown` lists what could not be read. */
export function restrictedProblems(podSpec: Obj): { pod: string[]; containers: Map<string, string[]>; unknown: string[] } {
    const pod: string[] = [];
    const unknown: string[] = [];
    const containers = new Map<string, string[]>();
    for (const f of ["hostNetwork", "hostPID", "hostIPC"]) {
        const v = at(podSpec, f);
        if (v === UNKNOWN) {
            unknown.push(f);
        } else if (v === true) {
            pod.push(`${f}: true shares the node's namespace`);
        }
    }
    const psc = asObj(at(podSpec, "securityContext")) ?? {};
    if (at(psc, "runAsUser") === 0) {
        pod.push("securityContext.runAsUser: 0 runs as root");
    }
    const seccompType = (sc: unknown) => asStr(at(sc, "seccompProfile", "type"));
    const podSeccomp = seccompType(psc);
    if (podSeccomp !== undefined && !["RuntimeDefault", "Localhost"].includes(podSeccomp)) {
        pod.push(`securityContext.seccompProfile.type ${JSON.stringify(podSeccomp)} (RuntimeDefault or Localhost required)`);
    }
    const appArmor = asStr(at(psc, "appArmorProfile", "type"));
    if (appArmor === "Unconfined") {
        pod.push("securityContext.appArmorProfile.type Unconfined");
    }
    const seType = asStr(at(psc, "seLinuxOptions", "type"));
    if (seType !== undefined && !SELINUX_TYPES.includes(seType)) {
        pod.push(`securityContext.seLinuxOptions.type ${JSON.stringify(seType)}`);
    }
    if (at(psc, "windowsOptions", "hostProcess") === true) {
        pod.push("securityContext.windowsOptions.hostProcess: true");
    }
    for (const s of asArr(at(psc, "sysctls"))) {
        const name = asStr(at(s, "name"));
        if (name !== undefined && !SAFE_SYSCTLS.includes(name)) {
            pod.push(`sysctl ${name} is not in the safe set`);
        }
    }
    const volumes = at(podSpec, "volumes");
    if (volumes === UNKNOWN) {
        unknown.push("volumes");
    }
    for (const v of asArr(volumes)) {
        const vol = asObj(v) ?? {};
        const types = Object.keys(vol).filter((k) => k !== "name");
        const bad = types.filter((t) => !ALLOWED_VOLUMES.includes(t));
        if (bad.length > 0) {
            pod.push(`volume ${JSON.stringify(vol.name)} is of type ${bad.join("/")} (allowed: ${ALLOWED_VOLUMES.join(", ")})`);
        }
    }
    const { containers: list, unknownLists } = containersOf(podSpec);
    unknown.push(...unknownLists);
    for (const { container, name, kind } of list) {
        const p: string[] = [];
        const sc = at(container, "securityContext");
        if (sc === UNKNOWN) {
            unknown.push(`securityContext of ${kind} ${name}`);
            continue;
        }
        if (at(sc, "privileged") === true) {
            p.push("privileged: true");
        }
        if (at(sc, "allowPrivilegeEscalation") !== false) {
            p.push("allowPrivilegeEscalation is not false");
        }
        const drop = strings(at(sc, "capabilities", "drop"));
        if (!drop.includes("ALL")) {
            p.push(`capabilities.drop ${JSON.stringify(drop)} does not include ALL`);
        }
        const add = strings(at(sc, "capabilities", "add")).filter((c) => c !== "NET_BIND_SERVICE");
        if (add.length > 0) {
            p.push(`capabilities.add ${JSON.stringify(add)} (only NET_BIND_SERVICE is allowed)`);
        }
        const nonRoot = at(sc, "runAsNonRoot");
        if (nonRoot === false) {
            p.push("runAsNonRoot: false");
        } else if (nonRoot !== true && at(psc, "runAsNonRoot") !== true) {
            p.push("runAsNonRoot is not true (neither on the container nor on the pod)");
        }
        if (at(sc, "runAsUser") === 0) {
            p.push("runAsUser: 0 runs as root");
        }
        const cSeccomp = seccompType(sc);
        if (cSeccomp !== undefined && !["RuntimeDefault", "Localhost"].includes(cSeccomp)) {
            p.push(`seccompProfile.type ${JSON.stringify(cSeccomp)}`);
        } else if (cSeccomp === undefined && podSeccomp === undefined) {
            p.push("no seccompProfile RuntimeDefault/Localhost (neither on the container nor on the pod)");
        }
        const pm = asStr(at(sc, "procMount"));
        if (pm !== undefined && pm !== "Default") {
            p.push(`procMount ${pm}`);
        }
        if (asStr(at(sc, "appArmorProfile", "type")) === "Unconfined") {
            p.push("appArmorProfile.type Unconfined");
        }
        const cse = asStr(at(sc, "seLinuxOptions", "type"));
        if (cse !== undefined && !SELINUX_TYPES.includes(cse)) {
            p.push(`seLinuxOptions.type ${JSON.stringify(cse)}`);
        }
        for (const port of asArr(at(container, "ports"))) {
            const hp = at(port, "hostPort");
            if (typeof hp === "number" && hp !== 0) {
                p.push(`hostPort ${hp}`);
            }
        }
        if (p.length > 0) {
            containers.set(`${kind} ${name}`, p);
        }
    }
    return { pod, containers, unknown };
}

export const podSecurityRestricted = resourcePolicy<object>({
    name: "pod-security-restricted",
    description: "Every pod template (StatefulSet, Deployment, Job, CronJob, Pod) meets the Kubernetes restricted Pod Security Standard: non-root, no privilege escalation, all capabilities dropped (only NET_BIND_SERVICE added), seccomp RuntimeDefault/Localhost, no host namespaces, ports or hostPath, allowed volume types only; namespaces the stack creates enforce restricted.",
    remediationSteps: "Build pod and container securityContext with the shared pod builders (components/pod.ts): runAsNonRoot, runAsUser, allowPrivilegeEscalation false, capabilities.drop [ALL], seccompProfile RuntimeDefault.",
    severity: "high",
    validate(args, checks) {
        const props = raw(args.props);
        if (args.type === TYPES.Namespace) {
            const m = metaOf(props);
            if (at(props, "metadata", "labels") === UNKNOWN) {
                checks.unknown(`labels of Namespace ${m.name ?? args.name}`);
            } else if (m.labels["pod-security.kubernetes.io/enforce"] !== "restricted") {
                checks.violation(`Namespace ${m.name ?? args.name} does not enforce the restricted profile ` +
                    `(label pod-security.kubernetes.io/enforce is ${JSON.stringify(m.labels["pod-security.kubernetes.io/enforce"] ?? null)}). ` +
                    "Fix: label it pod-security.kubernetes.io/enforce: restricted.");
            }
            return;
        }
        const pod = podSpecToCheck(args, checks, "only workloads with a pod template and namespaces");
        if (!pod) {
            return;
        }
        const { id, spec } = pod;
        const podSpec = asObj(spec);
        if (!podSpec) {
            checks.violation(`${id} has no pod spec.`);
            return;
        }
        const r = restrictedProblems(podSpec);
        r.unknown.forEach((u) => checks.unknown(`${u} of ${id}`));
        const parts = [...r.pod];
        for (const [c, problems] of r.containers) {
            parts.push(`${c}: ${problems.join(", ")}`);
        }
        if (parts.length > 0) {
            checks.violation(`${id} does not meet the restricted Pod Security Standard: ${parts.join("; ")}. ` +
                "The DR namespace enforces restricted (pods would be rejected), and a root or privileged pod next to the " +
                "database can read or destroy its volume. Fix: use the shared restricted securityContext (components/pod.ts).");
        }
    },
});
