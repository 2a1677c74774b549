// A fake output stream for progress-bar tests. As a TTY it interprets the control sequences cli-progress and
// readline emit (cursor moves, line/screen clears) into a grid of lines, the way a terminal would, and records every
// line that was ever visible; as a non-TTY it simply accumulates the text.

const CSI = new RegExp(String.raw`^\x1B\[(\??)(\d*)([A-Za-z])`);

export class FakeStream {
  readonly isTTY: boolean;
  readonly columns: number | undefined;
  /** Everything written, control sequences included. */
  raw = '';
  /** Every distinct line that was visible after some write, in order of first appearance (TTY only). */
  readonly seen: string[] = [];
  /** The visible screen after every write (TTY only). */
  readonly snapshots: string[][] = [];
  readonly #seen = new Set<string>();
  #lines: string[] = [''];
  #row = 0;
  #col = 0;
  #saved: [number, number] = [0, 0];

  constructor(isTTY: boolean, columns?: number) {
    this.isTTY = isTTY;
    this.columns = columns;
  }

  write(chunk: string): boolean {
    this.raw += chunk;
    if (this.isTTY) {
      this.#interpret(chunk);
      this.snapshots.push(this.screen());
      for (const line of this.screen()) {
        if (!this.#seen.has(line)) {
          this.#seen.add(line);
          this.seen.push(line);
        }
      }
    }
    return true;
  }

  /** The visible lines, right-trimmed, without trailing empty lines. */
  screen(): string[] {
    const lines = this.#lines.map((l) => l.replace(/\s+$/, ''));
    while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return lines;
  }

  /** Non-TTY output split into lines (the last, unterminated, piece dropped if empty). */
  textLines(): string[] {
    const parts = this.raw.split('\n');
    if (parts[parts.length - 1] === '') parts.pop();
    return parts;
  }

  /** Cursor position (row, column). */
  cursor(): [number, number] {
    return [this.#row, this.#col];
  }

  #line(): string {
    while (this.#lines.length <= this.#row) this.#lines.push('');
    return this.#lines[this.#row] ?? '';
  }

  #setLine(text: string): void {
    this.#line();
    this.#lines[this.#row] = text;
  }

  #interpret(chunk: string): void {
    let i = 0;
    while (i < chunk.length) {
      const ch = chunk[i] as string;
      if (ch === '\x1B') {
        i += this.#escape(chunk.slice(i));
        continue;
      }
      if (ch === '\n') {
        this.#row += 1;
        this.#col = 0;
        this.#line();
      } else if (ch === '\r') {
        this.#col = 0;
      } else {
        const line = this.#line().padEnd(this.#col, ' ');
        this.#setLine(line.slice(0, this.#col) + ch + line.slice(this.#col + 1));
        this.#col += 1;
      }
      i += 1;
    }
  }

  #escape(s: string): number {
    if (s[1] === '7') {
      this.#saved = [this.#row, this.#col];
      return 2;
    }
    if (s[1] === '8') {
      [this.#row, this.#col] = this.#saved;
      return 2;
    }
    const m = CSI.exec(s);
    if (m === null) throw new Error(`unknown escape sequence ${JSON.stringify(s.slice(0, 8))}`);
    const [whole, priv, num, cmd] = m as unknown as [string, string, string, string];
    if (priv === '?') return whole.length; // mode switches (autowrap, cursor visibility)
    const n = num === '' ? undefined : Number(num);
    this.#csi(cmd, n);
    return whole.length;
  }

  #csi(cmd: string, n: number | undefined): void {
    const line = this.#line();
    switch (cmd) {
      case 'A': this.#row = Math.max(0, this.#row - (n ?? 1)); break;
      case 'B': this.#row += n ?? 1; this.#line(); break;
      case 'C': this.#col += n ?? 1; break;
      case 'D': this.#col = Math.max(0, this.#col - (n ?? 1)); break;
      case 'G': this.#col = (n ?? 1) - 1; break;
      case 'K':
        if ((n ?? 0) === 0) this.#setLine(line.slice(0, this.#col));
        else if (n === 1) this.#setLine(' '.repeat(this.#col + 1) + line.slice(this.#col + 1));
        else this.#setLine('');
        break;
      case 'J':
        this.#setLine(line.slice(0, this.#col));
        this.#lines = this.#lines.slice(0, this.#row + 1);
        break;
      default: throw new Error(`unsupported CSI ${cmd}`);
    }
  }
}
