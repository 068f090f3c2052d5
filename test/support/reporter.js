"use strict";
// Mocha's dot reporter plus one closing line in the plain form CI reads from any runner:
// "<suite>: N passed, N failed, N skipped".
const Mocha = require("mocha");

const { EVENT_RUN_END } = Mocha.Runner.constants;

class SummaryReporter extends Mocha.reporters.Dot {
    constructor(runner, options) {
        super(runner, options);
        const suite = (options.reporterOption && options.reporterOption.suite) || "tests";
        runner.once(EVENT_RUN_END, () => {
            const { passes, failures, pending } = runner.stats;
            process.stdout.write(`${suite}: ${passes} passed, ${failures} failed, ${pending} skipped\n`);
        });
    }
}

module.exports = SummaryReporter;
