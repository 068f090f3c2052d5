import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";

const GOLDEN_DIR = path.join(__dirname, "..", "unit", "golden");

/**
 * Compares rendered text with its golden file in test/unit/golden. UPDATE_GOLDEN=1 rewrites it
 * instead, for a deliberate change of the format; review the diff before committing it.
 */
export function assertGolden(name: string, actual: string): void {
    const file = path.join(GOLDEN_DIR, name);
    if (process.env.UPDATE_GOLDEN === "1") {
        fs.writeFileSync(file, actual);
    }
    assert.equal(actual, fs.readFileSync(file, "utf8"), `differs from ${path.relative(process.cwd(), file)}`);
}
