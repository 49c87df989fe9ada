/**
 * Which optional suites can run here. CI sets these; on a laptop without MariaDB, Redis or
 * Chromium the suites are skipped and scripts/test.mjs says so before the run.
 */
export const testEnv = {
  mysqlUrl: process.env.KEYGATE_TEST_MYSQL_URL ?? '',
  redisUrl: process.env.KEYGATE_TEST_REDIS_URL ?? '',
  chromium: process.env.KEYGATE_TEST_BROWSER ?? '',
}

export const skipReason = {
  mysql: 'set KEYGATE_TEST_MYSQL_URL=mysql://user:pass@127.0.0.1:3306/keygate_test to run it',
  redis: 'set KEYGATE_TEST_REDIS_URL=redis://127.0.0.1:6379/15 to run it',
  browser: 'set KEYGATE_TEST_BROWSER=/usr/bin/chromium to run it',
}
