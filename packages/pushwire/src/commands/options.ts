// Option values shared by the commands: one default address for every server the CLI starts (so `npm start`,
// `pushwire serve`, `pushwire echo` and the README examples agree), and parsers whose errors name the option
// and say what was expected (`--port: expected an integer 0-65535, got "x"`).
import { parseArgs } from 'node:util';
import { UsageError } from './command.js';

/** Where `pushwire serve` and `pushwire echo` listen unless told otherwise. */
export const DEFAULT_HOST = '127.0.0.1';
export const DEFAULT_PORT = 8000;

/** The shared `--port`/`--host` lines of each command's help. */
export const ADDRESS_HELP = `  --port N             port to listen on (default ${DEFAULT_PORT}; 0 picks a free port)
  --host H             address to bind (default ${DEFAULT_HOST}; 0.0.0.0 for every interface)`;

type Spec = Record<string, { type: 'string' | 'boolean'; multiple?: boolean }>;
type Values<S extends Spec> = {
  [K in keyof S]?: S[K]['type'] extends 'boolean'
    ? boolean
    : S[K]['multiple'] extends true
      ? string[]
      : string;
};

/** node:util parseArgs in strict mode, its errors turned into UsageErrors. */
export function parseOptions<S extends Spec>(args: string[], spec: S): Values<S> {
  // parseArgs takes `--opt -1` for a missing value followed by a flag `-1`: a negative number after a
  // string option is that option's value (`--max-sessions-per-browser -1`).
  const joined: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as string;
    const next = args[i + 1];
    const name = arg.startsWith('--') ? arg.slice(2) : undefined;
    if (name !== undefined && spec[name]?.type === 'string' && next !== undefined && /^-\d/.test(next)) {
      joined.push(`${arg}=${next}`);
      i++;
    } else joined.push(arg);
  }
  try {
    return parseArgs({ args: joined, options: spec, strict: true, allowPositionals: false })
      .values as Values<S>;
  } catch (err) {
    // parseArgs says e.g. "Unknown option '--prot'"; drop Node's advice about '--' (not what a user needs).
    throw new UsageError((err as Error).message.split('. To specify')[0] ?? String(err));
  }
}

/** An integer option in [min, max]: the fallback when absent, a UsageError naming it when malformed. */
export function integerOption(
  name: string,
  text: string | undefined,
  min: number,
  max: number,
  fallback: number,
): number;
export function integerOption(
  name: string,
  text: string | undefined,
  min: number,
  max: number,
): number | undefined;
export function integerOption(
  name: string,
  text: string | undefined,
  min: number,
  max: number,
  fallback?: number,
): number | undefined {
  if (text === undefined) return fallback;
  // Number('') is 0 and Number(' 1') is 1: only plain decimal digits are an integer here.
  const n = /^-?\d+$/.test(text) ? Number(text) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    const range = min < 0 ? `${min} to ${max}` : `${min}-${max}`;
    throw new UsageError(`--${name}: expected an integer ${range}, got ${JSON.stringify(text)}`);
  }
  return n;
}

/** `--port`, 0-65535. */
export function portOption(text: string | undefined): number {
  return integerOption('port', text, 0, 65535, DEFAULT_PORT);
}
