// Prints the plain closing line CI reads ("N passed, N failed[, N skipped]") as the very last
// line of a jest run: on exit, after jest's own summary and its "Ran all test suites" line.
class SummaryReporter {
  onRunComplete(_contexts, results) {
    const skipped = results.numPendingTests + results.numTodoTests;
    const line = `${results.numPassedTests} passed, ${results.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ""}`;
    process.once("exit", () => process.stderr.write(`${line}\n`));
  }
}
module.exports = SummaryReporter;
