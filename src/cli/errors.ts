/** @module CLI errors: printed as one line without a stack trace, exit code 2 (usage), 1 (failure) or 130 (Ctrl-C). */

import { KindlingError } from '../errors.js';

/**
 * An error the CLI reports as a single line (bad flags, missing files).
 *
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

/**
 * Ends a command that was interrupted by Ctrl-C (exit code 130) or SIGTERM (143) after it saved its state and printed
 * how to continue; nothing more printed.
 *
 */
export class CliInterrupted extends CliError {
  /**
   * @param signal - the signal that stopped the command (default SIGINT, Ctrl-C).
   */
  constructor(signal: 'SIGINT' | 'SIGTERM' = 'SIGINT') {
    super(`interrupted (${signal === 'SIGINT' ? 'Ctrl-C' : signal})`, signal === 'SIGINT' ? 130 : 143);
  }
}
