/**
 * @module Handler registration: normalising functions and `{ handle }` objects, arity checks, filter wrapping.
 *
 * Port of the registration half of ignite/engine/engine.py (`add_event_handler`, `_handler_wrapper`,
 * `_check_signature`). Everything that can be decided at registration is decided here, so firing an event is a
 * plain loop over pre-compiled calls with no filter or arity logic.
 * Porting note: JavaScript cannot bind signatures, so the engine is always passed first and only "too many required
 * parameters" (`fn.length`) is rejected; a handler that declares fewer parameters simply ignores the rest.
 */

/**
 * An event handler: a function called as `handler(engine, ...eventArgs, ...args)`, or an object whose
 * `handle(engine, ...eventArgs, ...args)` method is called (the DOM `handleEvent` convention). It may return a
 * promise, which the engine awaits before the next handler.
 */
export type Handler<TEngine = unknown> = HandlerFn<TEngine> | { handle: HandlerFn<TEngine> };

/** The function form of a {@link Handler}; extra parameters are bivariant so typed handlers are accepted. */
export type HandlerFn<TEngine> = {
  bivarianceHack(engine: TEngine, ...args: unknown[]): unknown;
}['bivarianceHack'];

/** A registered handler, pre-compiled for firing. */
export interface HandlerEntry {
  /** The function or object the user registered (identity used by `off` / `hasEventHandler`). */
  readonly handler: unknown;
  /** Compiled call: checks the filter (if any) and calls the handler with its arguments. */
  readonly call: (engine: unknown, eventArg: unknown) => unknown;
}

/** Marker for "this event passes no argument". */
export const NO_ARG: unique symbol = Symbol('kindling.noArg');

function parameterNames(fn: (...args: never[]) => unknown): string[] {
  const src = Function.prototype.toString.call(fn);
  const match = /^[^(]*\(([^)]*)\)/.exec(src) ?? /^\s*(?:async\s+)?([\w$]+)\s*=>/.exec(src);
  const list = match?.[1]?.trim();
  return list ? list.split(',').map((p) => p.trim().split(/[=\s]/)[0] ?? p) : [];
}

function describe(fn: (...args: never[]) => unknown): string {
  return fn.name ? `function ${fn.name}` : 'anonymous function';
}

/**
 * Rejects a handler that requires more parameters than it will receive (Ignite's signature check).
 *
 * @param fn - the function to check.
 * @param role - `'handler'` or `'process_function'`, used in the message.
 * @param calledWith - the names of the arguments it will be called with.
 * @throws TypeError when `fn.length` exceeds `calledWith.length`.
 */
export function checkArity(fn: (...args: never[]) => unknown, role: string, calledWith: string[]): void {
  if (fn.length <= calledWith.length) return;
  throw new TypeError(
    `Error adding ${describe(fn)} '${role}': takes parameters [${parameterNames(fn).join(', ')}] ` +
      `but will be called with [${calledWith.join(', ')}]. ` +
      'Pass the missing values as extra arguments of on(event, handler, ...args) or bind them in a closure.',
  );
}

function resolveCallable(handler: unknown): { fn: (...a: unknown[]) => unknown; self: unknown } {
  if (typeof handler === 'function') return { fn: handler as (...a: unknown[]) => unknown, self: undefined };
  if (handler !== null && typeof handler === 'object' && typeof (handler as { handle?: unknown }).handle === 'function') {
    return { fn: (handler as { handle: (...a: unknown[]) => unknown }).handle, self: handler };
  }
  throw new TypeError(
    `An event handler should be a function or an object with a handle(engine) method, got ${String(handler)}`,
  );
}

/**
 * Compiles a handler into a {@link HandlerEntry}.
 *
 * @param handler - function or `{ handle }` object.
 * @param eventArgNames - names of the arguments the event passes after the engine (e.g. `['error']`).
 * @param args - extra arguments given at registration.
 * @param filter - optional predicate `(engine) => boolean` checked at fire time.
 * @returns the entry.
 * @throws TypeError when the handler is not callable or requires too many parameters.
 * @example
 * ```ts
 * const entry = compileHandler((engine: unknown) => {}, [], [], null);
 * entry.call(engine, NO_ARG);
 * ```
 */
export function compileHandler(
  handler: unknown,
  eventArgNames: readonly string[],
  args: readonly unknown[],
  filter: ((engine: unknown) => boolean) | null,
): HandlerEntry {
  const { fn, self } = resolveCallable(handler);
  checkArity(fn, 'handler', ['engine', ...eventArgNames, ...args.map((_, i) => `arg${i}`)]);
  let call: (engine: unknown, eventArg: unknown) => unknown;
  // Specialised closures: the common cases allocate nothing per call.
  if (args.length === 0 && eventArgNames.length === 0) call = (engine) => fn.call(self, engine);
  else if (args.length === 0) call = (engine, a) => fn.call(self, engine, a);
  else if (eventArgNames.length === 0) call = (engine) => fn.call(self, engine, ...args);
  else call = (engine, a) => fn.call(self, engine, a, ...args);
  if (filter !== null) {
    const inner = call;
    call = (engine, a) => (filter(engine) ? inner(engine, a) : undefined);
  }
  return { handler, call };
}

/**
 * Tells whether a value is a promise-like (has a `then` method).
 *
 * @param value - anything.
 * @returns true for thenables.
 */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * Calls the entries of one event in order. Sync handlers cost no microtask: the loop only switches to an async
 * continuation when a handler returns a thenable.
 *
 * @param entries - the compiled handlers (a snapshot: registration replaces the array, never mutates it).
 * @param engine - the engine passed to every handler.
 * @param eventArg - the event's argument, or {@link NO_ARG}.
 * @returns `undefined` when every handler was synchronous, else a promise of completion.
 * @example
 * ```ts
 * const p = fireEntries(entries, engine, NO_ARG);
 * if (p) await p;
 * ```
 */
export function fireEntries(entries: readonly HandlerEntry[], engine: unknown, eventArg: unknown): Promise<void> | undefined {
  for (let i = 0; i < entries.length; i++) {
    const result = (entries[i] as HandlerEntry).call(engine, eventArg);
    if (result !== undefined && isThenable(result)) return fireRest(entries, i + 1, engine, eventArg, result);
  }
  return undefined;
}

async function fireRest(
  entries: readonly HandlerEntry[],
  from: number,
  engine: unknown,
  eventArg: unknown,
  pending: PromiseLike<unknown>,
): Promise<void> {
  await pending;
  for (let i = from; i < entries.length; i++) {
    const result = (entries[i] as HandlerEntry).call(engine, eventArg);
    if (result !== undefined && isThenable(result)) await result;
  }
}
