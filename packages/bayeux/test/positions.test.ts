import { describe, expect, it } from 'vitest';
import {
  MAX_EPOCH_LENGTH,
  PRESENCE_SERVICE,
  parsePosition,
  presenceBaseOf,
  presenceChannelOf,
} from '../src/index.js';

describe('positions (issue 9 wire vocabulary)', () => {
  it('parses well-formed positions only; the epoch length is crossed by one', () => {
    expect(parsePosition({ offset: 0, epoch: 'e' })).toEqual({ offset: 0, epoch: 'e' });
    expect(parsePosition({ offset: 5, epoch: 'a'.repeat(MAX_EPOCH_LENGTH), extra: 1 })).toEqual({
      offset: 5,
      epoch: 'a'.repeat(64),
    });
    for (const bad of [
      null,
      'x',
      { offset: -1, epoch: 'e' },
      { offset: 1.5, epoch: 'e' },
      { offset: 2 ** 53, epoch: 'e' },
      { offset: '1', epoch: 'e' },
      { offset: 1, epoch: '' },
      { offset: 1, epoch: 'a'.repeat(MAX_EPOCH_LENGTH + 1) },
      { offset: 1 },
    ]) {
      expect(parsePosition(bad)).toBeUndefined();
    }
  });

  it('maps channels to their presence channel and back', () => {
    expect(presenceChannelOf('/chat/a')).toBe('/presence/chat/a');
    expect(presenceBaseOf('/presence/chat/a')).toBe('/chat/a');
    expect(presenceBaseOf('/presence/chat/*')).toBe('/chat/*');
    expect(presenceBaseOf('/presence')).toBeUndefined();
    expect(presenceBaseOf('/presences/x')).toBeUndefined();
    expect(presenceBaseOf('/chat/a')).toBeUndefined();
    expect(PRESENCE_SERVICE).toBe('/service/presence');
  });
});
