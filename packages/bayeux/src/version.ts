// Protocol versions (Bayeux §2.3): version = integer *( "." version_element ),
// version_element = alphanum *( alphanum | "-" | "_" ). Compared element by element, each element with
// "normal alphanumeric comparison": numeric when both elements are digits, otherwise by code points.

const VERSION = /^[0-9]+(\.[A-Za-z0-9][A-Za-z0-9\-_]*)*$/;
const DIGITS = /^[0-9]+$/;

/** Longest version string accepted (a version is a handful of characters; this only bounds the work). */
export const MAX_VERSION_LENGTH = 32;

export function isValidVersion(version: unknown): version is string {
  return typeof version === 'string' && version.length <= MAX_VERSION_LENGTH && VERSION.test(version);
}

/** Negative when a < b, 0 when equal, positive when a > b. Both must be valid versions. */
export function compareVersions(a: string, b: string): number {
  const xs = a.split('.');
  const ys = b.split('.');
  const n = Math.max(xs.length, ys.length);
  for (let i = 0; i < n; i++) {
    const x = xs[i];
    const y = ys[i];
    // A missing element sorts first: "1.0" < "1.0.1".
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (DIGITS.test(x) && DIGITS.test(y)) {
      const d = Number(x) - Number(y);
      if (d !== 0) return d;
      continue;
    }
    return x < y ? -1 : 1;
  }
  return 0;
}
