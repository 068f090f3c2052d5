import * as pulumi from "@pulumi/pulumi";
import { REPO_ROOT, asCliConfig, projectDefaults } from "./projectConfig";

/** A resource the program registered, with the inputs and options it registered it with. */
export interface RegisteredResource {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
    readonly options: pulumi.CustomResourceOptions;
    /** Name of the parent component; undefined for children of the stack. */
    readonly parent?: string;
    /** Name of the resource this one is deleted with, as the engine sees it (inherited from ancestors). */
    readonly deletedWith?: string;
}

export interface ProgramRun {
    /** What the program declares: every resource it registered, except those it reads by id. */
    readonly resources: readonly RegisteredResource[];
    /** What the program reads by id (StackReferences, the API server's EndpointSlice, Rollouts read back). */
    readonly reads: readonly RegisteredResource[];
    readonly outputs: Record<string, any>;
    /** Resources of one type token, e.g. `kubernetes:apps/v1:Deployment`. */
    ofType(type: string): RegisteredResource[];
    /** The one resource of `type` whose Kubernetes name is `name`. */
    named(type: string, name: string): RegisteredResource;
}

export interface RunOptions {
    /** Stack config without namespace, laid over Pulumi.yaml's project defaults. */
    readonly config?: Record<string, unknown>;
    /** Keys (without namespace) the CLI would mark secret. */
    readonly secretKeys?: readonly string[];
    /** @default "pr-123" */
    readonly stack?: string;
    /** @default false */
    readonly preview?: boolean;
    /** The stack's outputs of its last update, as a StackReference to itself reads them. @default none */
    readonly lastOutputs?: Record<string, unknown>;
    /** Other stacks' outputs by full name (`organization/rollout-stacks/dev`), as StackReferences read them. @default none */
    readonly stackOutputs?: Readonly<Record<string, Record<string, unknown>>>;
    /** What a read of a Kubernetes object by id finds (its fields besides the inputs); none when undefined. */
    readonly readState?: (type: string, id: string) => Record<string, unknown> | undefined;
    /** Which program runs: index.ts itself, or the build compiled ahead into dist/ (npm run build). @default "sources" */
    readonly program?: "sources" | "compiled";
}

/**
 * Waits until every resource registration the program started has reached the mocks. The SDK keeps
 * this internal (the language host calls it before exit), so reach it by name and fail loudly if
 * an SDK upgrade moves it.
 */
export function waitForRegistrations(): Promise<void> {
    const settings = pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> };
    if (typeof settings.waitForRPCs !== "function") {
        throw new Error("@pulumi/pulumi no longer exposes runtime.waitForRPCs; update test/support/program.ts");
    }
    return settings.waitForRPCs();
}

/** Removes the program's own modules from the require cache, so the next import runs it afresh. */
function forgetProgramModules(): void {
    for (const id of Object.keys(require.cache)) {
        if (id.startsWith(REPO_ROOT) && !id.includes("node_modules") && !id.includes(`${REPO_ROOT}/test/`)) {
            delete require.cache[id];
        }
    }
}

/** What a failed program run leaves: the error and whatever it registered before failing. */
export interface FailedRun {
    readonly error: Error;
    readonly resources: readonly RegisteredResource[];
}

/**
 * Runs the real index.ts on Pulumi's mocks with config as the CLI would give it, and returns
 * every resource it registered (inputs and options) and the stack outputs.
 */
export async function runProgram(options: RunOptions = {}): Promise<ProgramRun> {
    const run = await execute(options);
    if ("error" in run) {
        throw run.error;
    }
    return run;
}

/** Runs the program expecting it to fail; rejects if it succeeds. */
export async function failProgram(options: RunOptions = {}): Promise<FailedRun> {
    const run = await execute(options);
    if (!("error" in run)) {
        throw new Error("the program succeeded");
    }
    return run;
}

async function execute(options: RunOptions): Promise<ProgramRun | FailedRun> {
    const resources: RegisteredResource[] = [];
    const optionsByName = new Map<string, pulumi.CustomResourceOptions>();
    const nameOf = new Map<pulumi.Resource, string>();
    const named = (resource: pulumi.Input<pulumi.Resource> | undefined) =>
        resource === undefined ? undefined : nameOf.get(resource as pulumi.Resource);
    /** Like the engine, a resource without deletedWith of its own inherits its parent's. */
    const deletedWithOf = (name: string | undefined): string | undefined => {
        const options = name === undefined ? undefined : optionsByName.get(name);
        return options === undefined ? undefined : named(options.deletedWith) ?? deletedWithOf(named(options.parent));
    };
    const reads: RegisteredResource[] = [];
    const readState = options.readState;
    const self = `organization/rollout-stacks/${options.stack ?? "pr-123"}`;
    const referencedOutputs = (name: string) => (name === self ? options.lastOutputs : options.stackOutputs?.[name]) ?? {};
    await pulumi.runtime.setMocks({
        newResource: (args) => {
            const options = optionsByName.get(args.name) ?? {};
            const read = args.id !== undefined && args.id !== "";
            (read ? reads : resources).push({
                type: args.type,
                name: args.name,
                inputs: args.inputs,
                options,
                parent: named(options.parent),
                deletedWith: deletedWithOf(args.name),
            });
            // A StackReference reads the stack's outputs of its last update: none, unless the test gives them.
            const state = args.type === "pulumi:pulumi:StackReference" ? { ...args.inputs, outputs: referencedOutputs(String(args.inputs.name)), secretOutputNames: [] }
                // The platform reads the API server's addresses from default/kubernetes: one, as a kind cluster has it.
                : args.type === "kubernetes:discovery.k8s.io/v1:EndpointSlice" && args.id !== undefined && args.id !== ""
                    ? { ...args.inputs, endpoints: [{ addresses: [MOCK_API_SERVER.address], conditions: { ready: true } }], ports: [{ port: MOCK_API_SERVER.port }] }
                    : read ? { ...args.inputs, ...readState?.(args.type, args.id!) } : args.inputs;
            return { id: read ? args.id! : `${args.name}-id`, state };
        },
        call: (args) => args.inputs,
    }, "rollout-stacks", options.stack ?? "pr-123", options.preview ?? false, "organization");
    const config = { ...projectDefaults(), ...options.config };
    pulumi.runtime.setAllConfig(asCliConfig(config), (options.secretKeys ?? []).map((key) => `rollout-stacks:${key}`));
    forgetProgramModules();

    let outputs: Record<string, any>;
    try {
        outputs = await pulumi.runtime.runInPulumiStack(async () => {
            pulumi.runtime.registerStackTransformation((args) => {
                nameOf.set(args.resource, args.name);
                optionsByName.set(args.name, args.opts);
                return undefined;
            });
            return require(options.program === "compiled" ? `${REPO_ROOT}/dist/index.js` : `${REPO_ROOT}/index`);
        }) as Record<string, any>;
    } catch (error) {
        await waitForRegistrations();
        return { error: error as Error, resources };
    }
    await waitForRegistrations();

    const ofType = (type: string) => resources.filter((r) => r.type === type);
    return {
        resources,
        reads,
        outputs,
        ofType,
        named: (type, name) => oneNamed(ofType(type), type, name),
    };
}

/** The one resource of a list whose Kubernetes name is `name`; throws when there is none or more. */
export function oneNamed<T extends { readonly inputs: Record<string, any> }>(resources: readonly T[], type: string, name: string): T {
    const found = resources.filter((r) => r.inputs.metadata?.name === name);
    if (found.length !== 1) {
        throw new Error(`expected one ${type} named ${name}, found ${found.length}`);
    }
    return found[0]!;
}

/** The API server the mocks' `default/kubernetes` EndpointSlice lists. */
export const MOCK_API_SERVER = { address: "172.18.0.2", port: 6443 } as const;

/** The key and value by which mocks mark a secret in registered inputs. */
const SPECIAL_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** True when a registered input value is a Pulumi secret. */
export function isSecretValue(value: unknown): boolean {
    return value !== null && typeof value === "object" && (value as Record<string, unknown>)[SPECIAL_SIG_KEY] === SECRET_SIG;
}

/** The registered inputs with every secret replaced by its plain value. */
export function revealSecrets<T>(value: T): T {
    if (isSecretValue(value)) {
        return revealSecrets((value as unknown as { value: T }).value);
    }
    if (Array.isArray(value)) {
        return value.map(revealSecrets) as T;
    }
    if (value !== null && typeof value === "object") {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, revealSecrets(v)])) as T;
    }
    return value;
}
