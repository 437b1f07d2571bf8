import { defineConfig } from 'vitest/config';

/**
 * Two tiers: `unit` (pure logic, fakes behind ports, no infrastructure) and
 * `integration` (the real Kafka broker and Docker engine, brought up by `berth infra up`), and
 * `faults` (the full fault suite, `npm run faults`; `npm test` runs a reduced one in integration).
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
      {
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          environment: 'node',
          testTimeout: 3_600_000,
          hookTimeout: 600_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
