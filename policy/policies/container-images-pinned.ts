// Every container image is pinned to a tag (not latest) or a digest: an image that moves under the
// same name can change the PostgreSQL major version (an unreadable data directory) or the installer.
import { resourcePolicy } from "../lib/checks";
import { containersOf, imageRef } from "../lib/k8s";
import { asStr, at, UNKNOWN } from "../lib/values";
import { podSpecToCheck } from "../lib/workloads";

export const containerImagesPinned = resourcePolicy<object>({
    name: "container-images-pinned",
    description: "Every container and init container image names a tag other than latest, or a digest.",
    remediationSteps: "Set ternent-postgres:postgres.image and walg.installerImage to pinned tags (e.g. postgres:15.18-bookworm).",
    severity: "high",
    validate(args, checks) {
        const pod = podSpecToCheck(args, checks, "only workloads with a pod template");
        if (!pod) {
            return;
        }
        const { id, spec } = pod;
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
