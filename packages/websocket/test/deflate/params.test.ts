import { describe, expect, it } from 'vitest';
import { PerMessageDeflate } from '../../src/deflate/codec.js';
import { type PerMessageDeflateOptions, validateOptions } from '../../src/deflate/params.js';

describe('options', () => {
  const bad: PerMessageDeflateOptions[] = [
    { serverMaxWindowBits: 8 },
    { serverMaxWindowBits: 16 },
    { clientMaxWindowBits: 8 },
    { clientMaxWindowBits: 9.5 },
    { level: -2 },
    { level: 10 },
    { memLevel: 0 },
    { memLevel: 10 },
    { threshold: -1 },
    { concurrencyLimit: 0 },
    { idleTimeout: -1 },
  ];
  for (const options of bad) {
    it(`refuses ${JSON.stringify(options)}`, () => {
      expect(() => new PerMessageDeflate(options, true, 1024)).toThrow(RangeError);
    });
  }

  it('defaults the threshold to 1024 bytes and takes an explicit one', () => {
    expect(new PerMessageDeflate(undefined, true, 1024).threshold).toBe(1024);
    expect(new PerMessageDeflate({ threshold: 0 }, true, 1024).threshold).toBe(0);
    expect(new PerMessageDeflate({ threshold: 50 }, true, 1024).threshold).toBe(50);
  });

  it('names the extension', () => {
    expect(PerMessageDeflate.extensionName).toBe('permessage-deflate');
  });

  // The house rule: a value of the wrong type is a TypeError, one of the right type out of range a RangeError.
  const wrongType = [
    { level: '9' },
    { memLevel: null },
    { threshold: '1024' },
    { serverMaxWindowBits: '10' },
    { idleTimeout: {} },
  ] as unknown as PerMessageDeflateOptions[];
  for (const options of wrongType) {
    it(`refuses ${JSON.stringify(options)} with a TypeError`, () => {
      expect(() => validateOptions(options)).toThrow(TypeError);
      expect(() => new PerMessageDeflate(options, true, 1024)).toThrow(TypeError);
    });
  }

  it('accepts the bounds of each range', () => {
    expect(() =>
      validateOptions({
        serverMaxWindowBits: 9,
        clientMaxWindowBits: 15,
        level: -1,
        memLevel: 9,
        threshold: 0,
      }),
    ).not.toThrow();
  });
});
