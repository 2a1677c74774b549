/**
 * @module Terminal output shared by every progress bar that writes to one stream, built on cli-progress's
 * `MultiBar`. Port of what tqdm's shared instance list and `tqdm.write` do for Ignite's ProgressBar.
 *
 * Why one `MultiBar` per stream: two independent cli-progress bars on one terminal both move the cursor to column 0
 * of "their" line and save/restore the single cursor slot, so a trainer bar and an evaluator bar started inside the
 * trainer's EPOCH_COMPLETED overwrite each other. A `MultiBar` owns a block of lines at the bottom of the terminal,
 * redraws every bar in it and prints log lines above it, which is exactly tqdm's nested-bar behaviour.
 *
 * Deviations from plain cli-progress use: bars redraw on engine events (the caller throttles) rather than only on
 * the library's timer; the timer still refreshes elapsed times but is unref'd so it never keeps Node alive; the last
 * bar leaving a stack stops the `MultiBar`, so no timer outlives the bars.
 */

import { MultiBar } from 'cli-progress';
import type { GenericFormatter, Options, SingleBar } from 'cli-progress';

/**
 * Where progress bars are written: `process.stderr`, a file stream, or anything with `write()`.
 *
 * @example
 * ```ts
 * const lines: string[] = [];
 * const stream: ProgressStream = { isTTY: false, write: (text: string) => lines.push(text) };
 * new ProgressBar({ stream }).attach(engine);
 * ```
 */
export interface ProgressStream {
  /** Writes a chunk of text. */
  write(chunk: string): unknown;
  /** `true` when the stream is a terminal: bars redraw in place; otherwise one line is printed per bar. */
  isTTY?: boolean | undefined;
  /** Terminal width in columns, when known. */
  columns?: number | undefined;
}

interface LinePayload {
  render: () => string;
}

// cli-progress keeps its redraw timer on this field; it is read only to unref the timer.
interface TimerHolder {
  timer?: { unref?: () => unknown } | null;
}

const renderPayload: GenericFormatter = (_options, _params, payload: LinePayload) => payload.render();

const CLEAR_LINE = '\x1B[2K';

/**
 * The block of live progress lines at the bottom of one terminal stream.
 *
 * @example
 * ```ts
 * const screen = TerminalScreen.for(process.stderr);
 * const line = screen.open(() => `step ${step}`);
 * screen.redraw();
 * screen.close(line, 'done');
 * ```
 * @internal
 */
export class TerminalScreen {
  static readonly #screens = new WeakMap<object, TerminalScreen>();

  readonly #stream: ProgressStream;
  #multi: MultiBar | null = null;
  #open = 0;

  private constructor(stream: ProgressStream) {
    this.#stream = stream;
  }

  /**
   * Returns the screen of a stream, creating it on first use; every bar on that stream shares it.
   *
   * @param stream - a TTY stream.
   * @returns the shared screen.
   */
  static for(stream: ProgressStream): TerminalScreen {
    let screen = TerminalScreen.#screens.get(stream);
    if (screen === undefined) {
      screen = new TerminalScreen(stream);
      TerminalScreen.#screens.set(stream, screen);
    }
    return screen;
  }

  /** Number of live lines. */
  get size(): number {
    return this.#open;
  }

  #ensureMulti(): MultiBar {
    if (this.#multi !== null) return this.#multi;
    const options: Options = {
      stream: this.#stream as unknown as NodeJS.WritableStream,
      format: renderPayload,
      // Trim lines to the terminal width ourselves (keeps terminal autowrap on for log lines).
      linewrap: true,
      // Logs shift the block down: every line must be rewritten even when its text did not change.
      forceRedraw: true,
      clearOnComplete: true,
      hideCursor: false,
      gracefulExit: false,
    };
    const multi = new MultiBar(options);
    multi.on('update-post', () => unrefTimer(multi));
    this.#multi = multi;
    return multi;
  }

  /**
   * Adds a live line at the bottom of the block and draws the block.
   *
   * @param render - returns the line's current text; called on every redraw.
   * @returns the line's handle.
   */
  open(render: () => string): SingleBar {
    const multi = this.#ensureMulti();
    const payload: LinePayload = { render };
    const bar = multi.create(1, 0, payload);
    this.#open += 1;
    unrefTimer(multi);
    multi.update();
    return bar;
  }

  /**
   * Redraws every live line (and flushes pending log lines above them).
   *
   */
  redraw(): void {
    this.#multi?.update();
  }

  /**
   * Removes a live line; with `finalText`, the text stays on screen above the block (tqdm's `leave=True`).
   *
   * @param bar - the handle from {@link TerminalScreen.open}.
   * @param finalText - the line to leave behind, or `null` to clear it.
   */
  close(bar: SingleBar, finalText: string | null): void {
    const multi = this.#multi;
    if (multi === null) return;
    if (finalText !== null) multi.log(this.#asLog(this.#trim(finalText)));
    if (!multi.remove(bar)) return;
    this.#open -= 1;
    if (this.#open === 0) {
      multi.stop();
      this.#multi = null;
    }
  }

  /**
   * Prints a message above the live lines without breaking them (tqdm's `tqdm.write`).
   *
   * @param message - the text; may contain newlines.
   */
  log(message: string): void {
    if (this.#multi === null) {
      this.#stream.write(`${message}\n`);
      return;
    }
    this.#multi.log(this.#asLog(message));
    this.#multi.update();
  }

  #asLog(message: string): string {
    // Each line clears what a live line left there before it is written over.
    return `${message.split('\n').map((l) => CLEAR_LINE + l).join('\n')}\n`;
  }

  #trim(text: string): string {
    const width = this.#stream.columns ?? 80;
    return Array.from(text).slice(0, width).join('');
  }
}

function unrefTimer(multi: MultiBar): void {
  (multi as unknown as TimerHolder).timer?.unref?.();
}
