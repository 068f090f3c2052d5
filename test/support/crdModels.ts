import { RegisteredResource, revealSecrets } from "./program";

interface ValidatableModel {
    validate(): void;
}

/**
 * The @kubernetes-models packages that model the custom resources of an API group, in the order to
 * try them: two packages share `argoproj.io` (Rollouts and CD), so a kind is looked up in each.
 */
const PACKAGES_BY_GROUP: Readonly<Record<string, readonly string[]>> = {
    "argoproj.io": ["@kubernetes-models/argo-rollouts", "@kubernetes-models/argo-cd"],
    "monitoring.coreos.com": ["@kubernetes-models/prometheus-operator"],
    "cert-manager.io": ["@kubernetes-models/cert-manager"],
    "acme.cert-manager.io": ["@kubernetes-models/cert-manager"],
};

/** Errors that mean "this package has no such kind", as opposed to a broken package. */
const NOT_FOUND = new Set(["MODULE_NOT_FOUND", "ERR_MODULE_NOT_FOUND", "ERR_PACKAGE_PATH_NOT_EXPORTED"]);

/**
 * The model class of `kind` in one package, or undefined when the package has none. Loaded with
 * import() because some of these packages (prometheus-operator) ship ES modules only.
 */
async function loadModel(pkg: string, group: string, version: string, kind: string): Promise<(new (data: unknown) => ValidatableModel) | undefined> {
    let module: Record<string, unknown>;
    try {
        module = await import(`${pkg}/${group}/${version}/${kind}`) as Record<string, unknown>;
    } catch (error) {
        if (NOT_FOUND.has((error as { code?: string }).code ?? "")) {
            return undefined;
        }
        throw error;
    }
    return module[kind] as (new (data: unknown) => ValidatableModel) | undefined;
}

/**
 * Validates a registered custom resource (`kubernetes:<group>/<version>:<Kind>`) against the schema
 * of its CRD as @kubernetes-models packages it, throwing the validator's error (with the instance
 * path of the bad field). Returns undefined for anything that is not a custom resource of a group
 * listed above: built-in kinds, components, providers.
 *
 * CRD schemas rarely forbid unknown fields, so a misspelt optional field passes here; type the spec
 * with the model's interface so that it fails to compile instead.
 */
export async function validateCustomResource(resource: RegisteredResource): Promise<"valid" | undefined> {
    const match = /^kubernetes:([^/]+)\/([^:]+):(\w+)$/.exec(resource.type);
    if (match === null) {
        return undefined;
    }
    const [, group, version, kind] = match as unknown as [string, string, string, string];
    const packages = PACKAGES_BY_GROUP[group];
    if (packages === undefined) {
        return undefined;
    }
    for (const pkg of packages) {
        const Model = await loadModel(pkg, group, version, kind);
        if (Model !== undefined) {
            new Model(revealSecrets(resource.inputs)).validate();
            return "valid";
        }
    }
    throw new Error(`no model for ${group}/${version} ${kind} in ${packages.join(" or ")}`);
}
