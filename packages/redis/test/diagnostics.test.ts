// The Redis engine reports destroys and drops on the memory engine's channels: one name each, so a
// subscriber sees every engine's events on the same channel.
import { engineDestroyChannel, engineDropChannel } from '@pushwire/server';
import { describe, expect, it } from 'vitest';
import { connectionChannel, destroyChannel, dropChannel, errorChannel } from '../src/index.js';

describe('redis engine diagnostics channels', () => {
  it('destroy and drop are the shared engine channels; error and connection are its own', () => {
    expect(destroyChannel).toBe(engineDestroyChannel);
    expect(dropChannel).toBe(engineDropChannel);
    expect(destroyChannel.name).toBe('pushwire:engine:destroy');
    expect(dropChannel.name).toBe('pushwire:engine:drop');
    expect(errorChannel.name).toBe('pushwire:engine:error');
    expect(connectionChannel.name).toBe('pushwire:engine:connection');
  });
});
