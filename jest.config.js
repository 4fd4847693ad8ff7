/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // A hang guard, not a speed check: tests that start git, python3 or the CLI take seconds on a loaded machine.
  testTimeout: 60_000,
  // Reviews cache scans outside the repositories they read: in tests, under the temporary directory.
  setupFiles: ["<rootDir>/test/helpers/cache-env.js"],
  reporters: ["default", "<rootDir>/test/helpers/summary-reporter.js"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
};
