/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: "node",
  roots: ["<rootDir>/test"],
  testMatch: ["**/*.test.ts"],
  // Reviews cache scans outside the repositories they read: in tests, under the temporary directory.
  setupFiles: ["<rootDir>/test/helpers/cache-env.js"],
  reporters: ["default", "<rootDir>/test/helpers/summary-reporter.js"],
  transform: { "^.+\\.ts$": ["ts-jest", { tsconfig: "tsconfig.json" }] },
};
