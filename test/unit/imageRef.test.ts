import * as assert from "node:assert/strict";
import { imagePullPolicy, isImageRepository, isImageTag, isMutableReference, parseImageReference, serviceImage } from "../../lib/imageRef";

describe("image references", () => {
    it("accepts repositories with and without a registry host", () => {
        for (const repo of ["nginx", "acme/cart-service", "ghcr.io/pilab-hu/cart-service", "localhost:5000/cart", "Registry.Example.com/a/b__c"]) {
            assert.ok(isImageRepository(repo), repo);
        }
    });

    it("rejects repositories that carry a tag, capitals in the path or stray characters", () => {
        for (const repo of ["acme/cart:v1", "Acme/cart", "acme//cart", "acme/cart-", "-acme/cart", "acme/cart service", ""]) {
            assert.ok(!isImageRepository(repo), repo);
        }
    });

    it("accepts tags registries accept and rejects the rest", () => {
        for (const tag of ["pr-123", "v1.2.3", "1", "_x", "A".repeat(128)]) {
            assert.ok(isImageTag(tag), tag);
        }
        for (const tag of ["-pr", ".hidden", "has space", "a/b", "A".repeat(129), ""]) {
            assert.ok(!isImageTag(tag), tag);
        }
    });

    it("parses tag and digest of a full reference", () => {
        const digest = `sha256:${"a".repeat(64)}`;
        assert.deepEqual(parseImageReference("ghcr.io/acme/cart:v2"), { repository: "ghcr.io/acme/cart", tag: "v2", digest: undefined });
        assert.deepEqual(parseImageReference(`acme/cart@${digest}`), { repository: "acme/cart", tag: undefined, digest });
        assert.deepEqual(parseImageReference("localhost:5000/cart"), { repository: "localhost:5000/cart", tag: undefined, digest: undefined });
        assert.equal(parseImageReference("acme/cart:v2:v3"), undefined);
        assert.equal(parseImageReference("acme/cart@sha256:short"), undefined);
    });

    it("uses the override for a service when there is one, the tag otherwise", () => {
        assert.equal(serviceImage("acme/cart", "pr-5", undefined), "acme/cart:pr-5");
        assert.equal(serviceImage("acme/cart", "pr-5", "acme/cart:canary"), "acme/cart:canary");
    });

    it("tells a tag each build pushes again from a per-commit tag, a release version or a digest", () => {
        for (const image of ["acme/cart:pr-123", "acme/cart:main", "acme/cart:v1.2", "acme/cart:build-42", "acme/cart:1a2b3c", "acme/cart"]) {
            assert.equal(isMutableReference(image), true, image);
            assert.equal(imagePullPolicy(image), "Always", image);
        }
        const digest = `sha256:${"a".repeat(64)}`;
        for (const image of ["acme/cart:pr-123-1a2b3c4", "acme/cart:sha-0123456789abcdef0123456789abcdef01234567", "acme/cart:1a2b3c4",
            "acme/cart:v1.2.3", "acme/cart:1.4.0-rc.1", `acme/cart@${digest}`, `acme/cart:main@${digest}`]) {
            assert.equal(isMutableReference(image), false, image);
            assert.equal(imagePullPolicy(image), undefined, image);
        }
    });
});
