import * as pulumi from "@pulumi/pulumi";

/** What every environment, a pull request's or a long-lived one, tells its users; its stack exports it. */
export interface EnvironmentOutputs<Service> {
    /** The namespace everything runs in. */
    readonly namespace: pulumi.Output<string>;
    /** `https://<host>`. */
    readonly url: pulumi.Output<string>;
    /** false while the environment is paused at 0 replicas. */
    readonly active: boolean;
    /** The restart timestamp the workloads carry after this update; null when none. */
    readonly lastDeployedAt: pulumi.Output<string | null>;
    /** Per service name, what it runs and where it is reached. */
    readonly services: Readonly<Record<string, Service>>;
}

/**
 * The base of {@link PrEnvironment} and {@link ProgressiveEnvironment}: the outputs both publish,
 * set once, at the end of the subclass's constructor, by {@link EnvironmentComponent.publish}.
 */
export abstract class EnvironmentComponent<Service> extends pulumi.ComponentResource implements EnvironmentOutputs<Service> {
    public readonly namespace!: pulumi.Output<string>;
    public readonly url!: pulumi.Output<string>;
    public readonly active!: boolean;
    public readonly lastDeployedAt!: pulumi.Output<string | null>;
    public readonly services!: Readonly<Record<string, Service>>;

    /** Sets the public outputs and registers them with the engine. */
    protected publish(outputs: EnvironmentOutputs<Service>): void {
        Object.assign(this, outputs);
        this.registerOutputs({ ...outputs });
    }
}
