/** Validation of the options object given to the Danger plugin or built by the CLI. */

import { validateLayer } from "./schema";
import type { ConfigError, PartialConfig } from "./types";

export interface ValidatedOptions {
  config: PartialConfig;
  errors: ConfigError[];
}

/**
 * Strictly validates camelCase options. Unknown keys, wrong types and unknown rule ids or
 * severities are errors that name the key, `where` and what is allowed; they are left out of
 * `config`. `extraKeys` are keys the caller handles itself (accepted here, not validated).
 */
export function validateOptions(
  obj: unknown,
  where: string,
  ruleIds: readonly string[],
  extraKeys: readonly string[] = [],
): ValidatedOptions {
  const errors: ConfigError[] = [];
  const config = validateLayer(
    obj,
    { style: "camel", root: [], errors, locate: () => where, ruleIds },
    extraKeys,
  );
  return { config, errors };
}
