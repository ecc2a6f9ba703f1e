import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: { conditions: ['pushwire-source'] },
  ssr: { resolve: { conditions: ['pushwire-source'], externalConditions: ['pushwire-source'] } },
  test: {
    include: [
      'packages/*/test/**/*.test.ts',
      'apps/*/test/**/*.test.ts',
      'test/**/*.test.ts',
      'examples/**/*.test.ts',
    ],
    // Builds the browser bundle the server serves at <mount>/client.js when it is missing or stale.
    globalSetup: ['test/setup/browser-bundle.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
    typecheck: { enabled: true, include: ['packages/*/test/**/*.test-d.ts'], tsconfig: './tsconfig.json' },
  },
});
