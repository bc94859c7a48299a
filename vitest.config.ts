import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Integration tests start real worker threads and servers; give them room on a 2-core machine.
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    fileParallelism: false,
    // Starts QuestDB for the tests that need it, unless one is already answering (as in .ci/run).
    globalSetup: ['./test/global-setup.ts'],
    env: { OCTOPUS_LOG_LEVEL: process.env.OCTOPUS_LOG_LEVEL ?? 'warn' },
  },
});
