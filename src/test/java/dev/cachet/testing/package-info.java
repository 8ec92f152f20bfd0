/**
 * Test support shared by Cachet's tests: {@link dev.cachet.testing.Eventually} and {@link
 * dev.cachet.testing.Deadline} for bounded waits without sleeping, {@link
 * dev.cachet.testing.TestEnvironment} for the environment variables tests read. Real Redis servers come
 * from {@link dev.cachet.testing.redis}.
 */
package dev.cachet.testing;
