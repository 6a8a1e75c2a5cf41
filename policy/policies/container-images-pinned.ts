// Every container image is pinned to a tag (not latest) or a digest: an image that moves under the
// same name can change the PostgreSQL major version (an unreadable data directory) or the installer.
import { resourcePolicy } from "../lib/checks";
import { containersOf, imageRef, kindOf, objectName, podTemplateOf, POD_TYPES } from "../lib/k8s";
import { asStr, at, raw, UNKNOWN } from "../lib/values";

export const containerImagesPinned = resourcePolicy<object>({
    name: "container-images-pinned",
    description: "Every container and init container image names a tag other than latest, or a digest.",
    remediationSteps: "Set ternent-postgres:postgres.image and walg.installerImage to pinned tags (e.g. postgres:15.18-bookworm).",
    severity: "high",
    validate(args, checks) {
        if (!POD_TYPES.includes(args.type)) {
            args.notApplicable("only workloads with a pod template");
        }
        const props = raw(args.props);
        const id = `${kindOf(args.type)} ${objectName(props, args.name)}`;
        const template = podTemplateOf(args.type, props);
        const spec = template === UNKNOWN ? UNKNOWN : at(template, "spec");
        if (spec === UNKNOWN) {
            checks.unknown(`the pod template of ${id}`);
            return;
        }
        const { containers, unknownLists } = containersOf(spec);
        unknownLists.forEach((l) => checks.unknown(`${l} of ${id}`));
        for (const { container, name, kind } of containers) {
            const image = at(container, "image");
            if (image === UNKNOWN) {
                checks.unknown(`the image of ${kind} ${name} in ${id}`);
                continue;
            }
            const text = asStr(image);
            if (!text) {
                checks.violation(`${kind} ${name} of ${id} has no image.`);
                continue;
            }
            const ref = imageRef(text);
            if (!ref.digest && (!ref.tag || ref.tag === "latest")) {
                checks.violation(`${kind} ${name} of ${id} uses image ${JSON.stringify(text)}, which ` +
                    `${ref.tag ? "is the moving tag latest" : "has no tag (means latest)"}. Fix: pin a version tag or digest ` +
                    "(ternent-postgres:postgres.image, walg.installerImage).");
            }
        }
    },
});
