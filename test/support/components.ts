import * as pulumi from "@pulumi/pulumi";
import { oneNamed, waitForRegistrations } from "./program";

/** A resource registered with the mocks: its type token, Pulumi name and inputs. */
export interface MockedResource {
    readonly type: string;
    readonly name: string;
    readonly inputs: Record<string, any>;
}

/** What components constructed directly on the mocks registered. */
export interface Mocked {
    /** Waits until every registration started so far has reached the mocks. */
    settled(): Promise<MockedResource[]>;
    /** After `settled`: the resources of one type token. */
    ofType(type: string): MockedResource[];
    /** After `settled`: the one resource of `type` whose Kubernetes name is `name`. */
    named(type: string, name: string): MockedResource;
}

/**
 * Sets Pulumi's mocks for components constructed directly with hand-made args, as pulumi-awsx's
 * tests do, and records what they register. Call it per test, so that each sees only its own.
 */
export async function mockComponents(): Promise<Mocked> {
    await waitForRegistrations();
    const resources: MockedResource[] = [];
    await pulumi.runtime.setMocks({
        newResource: (args) => {
            // What the components declare; a read by id (a Rollout read back) finds nothing here.
            if (args.id !== undefined && args.id !== "") {
                return { id: args.id, state: args.inputs };
            }
            resources.push({ type: args.type, name: args.name, inputs: args.inputs });
            return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
    }, "rollout-stacks", "components", false);
    const ofType = (type: string) => resources.filter((r) => r.type === type);
    return {
        settled: async () => {
            await waitForRegistrations();
            return resources;
        },
        ofType,
        named: (type, name) => oneNamed(ofType(type), type, name),
    };
}

/** The value of an output once the mocks have resolved it. */
export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
    return new Promise((resolve) => output.apply(resolve));
}
