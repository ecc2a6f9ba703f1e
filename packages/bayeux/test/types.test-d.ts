import { describe, expectTypeOf, it } from 'vitest';
import {
  type BayeuxErrorKind,
  bayeuxError,
  type ChannelGrammar,
  isValidChannel,
  type MessageCheck,
  parseError,
  validateMessage,
} from '../src/index.js';

describe('public types', () => {
  it('isValidChannel narrows unknown to string', () => {
    const v: unknown = '/a';
    if (isValidChannel(v)) expectTypeOf(v).toEqualTypeOf<string>();
  });

  it('error kinds are a literal union', () => {
    expectTypeOf<'sessionUnknown'>().toExtend<BayeuxErrorKind>();
    expectTypeOf<'nope'>().not.toExtend<BayeuxErrorKind>();
    expectTypeOf(bayeuxError('sessionUnknown').code).toEqualTypeOf<number>();
    expectTypeOf(parseError('x')).toEqualTypeOf<ReturnType<typeof bayeuxError> | undefined>();
    expectTypeOf<ChannelGrammar>().toEqualTypeOf<'strict' | 'lenient'>();
  });

  it('a failed check carries the error, an ok one the message', () => {
    const check = validateMessage({});
    expectTypeOf(check).toEqualTypeOf<MessageCheck>();
    if (check.ok) expectTypeOf(check.message.channel).toEqualTypeOf<string>();
    else expectTypeOf(check.error.toString()).toEqualTypeOf<string>();
  });
});
