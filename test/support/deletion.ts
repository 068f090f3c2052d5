import * as assert from "node:assert/strict";
import { ProgramRun } from "./program";

const NAMESPACE = "kubernetes:core/v1:Namespace";

/**
 * Asserts that every object the program puts in namespace `name` is deleted with its Namespace
 * (`deletedWith`, own or inherited), so that a destroy deletes the Namespace alone, and that there
 * is something in it to check.
 */
export function assertDeletedWithNamespace(run: ProgramRun, name: string): void {
    const namespace = run.named(NAMESPACE, name);
    assert.equal(namespace.deletedWith, undefined, "the Namespace itself must be deleted by the engine");
    const contents = run.resources.filter((r) => r.type.startsWith("kubernetes:") && r.inputs.metadata?.namespace === name);
    assert.ok(contents.length > 0, `nothing registered in namespace ${name}`);
    const strays = contents.filter((r) => r.deletedWith !== namespace.name).map((r) => `${r.type} ${r.name}`);
    assert.deepEqual(strays, [], `not deleted with the Namespace ${namespace.name}`);
}
