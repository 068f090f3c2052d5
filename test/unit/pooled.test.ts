import * as assert from "node:assert/strict";
import { pooled } from "../../lib/pooled";

/** A task that records how many tasks run beside it, ends after `ms` and resolves to `value`. */
function tracker() {
    let running = 0;
    let most = 0;
    const task = <T>(value: T, ms: number) => async (): Promise<T> => {
        running++;
        most = Math.max(most, running);
        await new Promise((resolve) => setTimeout(resolve, ms));
        running--;
        return value;
    };
    return { task, most: () => most };
}

describe("pooled (at most N tasks at once)", () => {
    it("runs at most `limit` at once and keeps every slot busy", async () => {
        const { task, most } = tracker();
        const results = await pooled([task("a", 30), task("b", 5), task("c", 5), task("d", 5), task("e", 20)], 2);
        assert.deepEqual(results, ["a", "b", "c", "d", "e"], "results in the tasks' order, not their ending order");
        assert.equal(most(), 2);
    });

    it("runs one after another with a limit of 1, and all at once with a limit above their number", async () => {
        const one = tracker();
        await pooled([one.task(1, 2), one.task(2, 2), one.task(3, 2)], 1);
        assert.equal(one.most(), 1);
        const all = tracker();
        await pooled([all.task(1, 10), all.task(2, 10), all.task(3, 10)], 10);
        assert.equal(all.most(), 3);
    });

    it("resolves to nothing for no tasks, and rejects with a task's failure", async () => {
        assert.deepEqual(await pooled([], 4), []);
        await assert.rejects(pooled([async () => 1, async () => { throw new Error("task 2 failed"); }], 2), /task 2 failed/);
    });

    it("refuses a limit that is not a whole number of at least 1, naming it", async () => {
        for (const limit of [0, -1, 1.5, Number.NaN]) {
            await assert.rejects(pooled([async () => 1], limit), /limit must be a whole number of at least 1, got/);
        }
    });
});
