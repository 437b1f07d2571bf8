import { defineConfig } from 'vitest/config';

/**
 * Two tiers: `unit` (pure logic, fakes behind ports, no infrastructure) and
 * `integration` (the real Kafka broker and Docker engine, brought up by `berth infra up`).
 */
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          environment: 'node',
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          environment: 'node',
          testTimeout: 180_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
