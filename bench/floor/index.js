"use strict";
// The bench's floor (bench/floor.ts): the least a Pulumi program can do to declare the objects a
// PR stack declares. Plain JavaScript with nothing to compile, only @pulumi/pulumi loaded (and
// started as the PR stack is: Pulumi.yaml), no components, no config schema: one generic custom
// resource per object, from the inputs the PR stack recorded in its state (config key
// `objectsFile`). `deployedAt` restarts every Deployment through the pod-template annotation, as
// the PR stack does.
const fs = require("node:fs");
const pulumi = require("@pulumi/pulumi");

const SECRET_SIGNATURE = "4dabf18193072939515e22adb298388d";
const RESTARTED_AT = "kubectl.kubernetes.io/restartedAt";

const config = new pulumi.Config();
const objects = JSON.parse(fs.readFileSync(config.require("objectsFile"), "utf8"));
const deployedAt = config.get("deployedAt");

/** A value of `pulumi stack export --show-secrets`, with its secrets made secrets again. */
function revive(value) {
    if (Array.isArray(value)) {
        return value.map(revive);
    }
    if (value !== null && typeof value === "object") {
        if (value[SECRET_SIGNATURE] !== undefined) {
            return pulumi.secret(JSON.parse(value.plaintext));
        }
        return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, revive(inner)]));
    }
    return value;
}

function restarted(inputs) {
    const template = inputs.spec.template;
    const metadata = template.metadata ?? {};
    return {
        ...inputs,
        spec: { ...inputs.spec, template: { ...template, metadata: { ...metadata, annotations: { ...metadata.annotations, [RESTARTED_AT]: deployedAt } } } },
    };
}

const declared = new Map();
for (const object of objects) {
    const inputs = revive(object.inputs);
    const resource = new pulumi.CustomResource(object.type, object.name,
        object.type === "kubernetes:apps/v1:Deployment" && deployedAt !== undefined ? restarted(inputs) : inputs,
        { dependsOn: object.dependsOn.map((urn) => declared.get(urn)).filter((dependency) => dependency !== undefined) });
    declared.set(object.urn, resource);
}
