// Checks for configuration values, with one rule for the error class (issue 14): a value of the wrong
// type is a TypeError; a value of the right type outside its range is a RangeError. Every message names
// the option, says what was expected and shows what was given, so a typo is fixed without reading code.
// Thrown synchronously from constructors: a misconfigured client fails where it is built, never later.

/** `value` shown in an error message: short, and never the text of an object the caller passed by mistake. */
function shown(value: unknown): string {
  if (typeof value === 'string')
    return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}...` : value);
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value);
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`;
}

/** A number in [min, max] (both inclusive); `integer` also refuses fractions. NaN is a wrong type. */
export function checkNumber(
  name: string,
  value: unknown,
  range: { min: number; max?: number; integer?: boolean },
): number {
  const max = range.max ?? Number.POSITIVE_INFINITY;
  const what = `${range.integer === true ? 'an integer' : 'a number'} ${describeRange(range.min, max)}`;
  if (typeof value !== 'number' || Number.isNaN(value)) {
    throw new TypeError(`${name}: expected ${what}, got ${shown(value)}`);
  }
  if (value < range.min || value > max || (range.integer === true && !Number.isInteger(value))) {
    throw new RangeError(`${name}: expected ${what}, got ${shown(value)}`);
  }
  return value;
}

function describeRange(min: number, max: number): string {
  if (max === Number.POSITIVE_INFINITY) return `>= ${min}`;
  return `from ${min} to ${max}`;
}

export function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new TypeError(`${name}: expected a boolean, got ${shown(value)}`);
  return value;
}

export function checkString(name: string, value: unknown): string {
  if (typeof value !== 'string') throw new TypeError(`${name}: expected a string, got ${shown(value)}`);
  return value;
}

/** One of a fixed set of strings: another string is out of range, anything else the wrong type. */
export function checkOneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  const list = allowed.map((a) => JSON.stringify(a)).join(', ');
  if (typeof value !== 'string') throw new TypeError(`${name}: expected one of ${list}, got ${shown(value)}`);
  if (!(allowed as readonly string[]).includes(value)) {
    throw new RangeError(`${name}: expected one of ${list}, got ${shown(value)}`);
  }
  return value as T;
}

/** A function or class; `F` (the caller's declared type) says its shape, which JavaScript cannot check. */
export function checkFunction<F>(name: string, value: unknown): F {
  if (typeof value !== 'function') throw new TypeError(`${name}: expected a function, got ${shown(value)}`);
  return value as F;
}

/** A plain object whose values are all strings (HTTP headers). */
export function checkStringRecord(name: string, value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`${name}: expected an object of strings, got ${shown(value)}`);
  }
  const out: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) out[key] = checkString(`${name}.${key}`, item);
  return out;
}
