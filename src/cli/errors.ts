/** @module CLI errors: printed as one line without a stack trace, exit code 2 (usage) or 1 (failure). */

import { KindlingError } from '../errors.js';

/**
 * An error the CLI reports as a single line (bad flags, missing files).
 *
 * @example
 * ```ts
 * throw new CliError("checkpoint 'x.ckpt' not found");
 * ```
 */
export class CliError extends KindlingError {
  /**
   * @param message - the one-line message.
   * @param exitCode - process exit code. @defaultValue 2
   */
  constructor(message: string, readonly exitCode = 2) {
    super(message);
  }
}
