import { RegisteredResource, revealSecrets } from "./program";

/** Validation errors carry ajv's instance paths; keep them, they say which field is wrong. */
interface ValidatableModel {
    validate(): void;
}

/**
 * Validates a registered built-in Kubernetes object against the Kubernetes OpenAPI schema
 * (kubernetes-models). Returns undefined for types that are not built-in Kubernetes kinds.
 */
export function validateKubernetesObject(resource: RegisteredResource): "valid" | undefined {
    const match = /^kubernetes:([^/]+)\/([^:]+):(\w+)$/.exec(resource.type);
    if (match === null) {
        return undefined;
    }
    const [, group, version, kind] = match as unknown as [string, string, string, string];
    const modulePath = group === "core" ? `kubernetes-models/${version}/${kind}` : `kubernetes-models/${group}/${version}/${kind}`;
    const Model = (require(modulePath) as Record<string, new (data: unknown) => ValidatableModel>)[kind];
    if (Model === undefined) {
        throw new Error(`kubernetes-models has no ${kind} in ${modulePath}`);
    }
    new Model(revealSecrets(resource.inputs)).validate();
    return "valid";
}
