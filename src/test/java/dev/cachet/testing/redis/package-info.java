/**
 * A real-Redis test harness: JUnit 5 gives tests {@code redis-server} processes that it starts on free
 * 127.0.0.1 ports and stops by PID, plus a TCP {@link dev.cachet.testing.redis.FaultProxy} for network
 * faults. Test code only; nothing here ships.
 *
 * <h2>Declaring servers</h2>
 *
 * Annotate a parameter or field; the annotation registers {@link dev.cachet.testing.redis.RedisExtension}.
 *
 * <pre>{@code
 * @Test void shared(@RedisStandaloneServer RedisServer redis)              // one per JVM; use redis.key(...)
 * @Test void owned(@RedisStandaloneServer(owned = true) RedisServer redis) // fresh; kill/pause/restart allowed
 * @Test void cluster(@RedisClusterServers RedisCluster cluster)            // 3 masters + 3 replicas, one per JVM
 * @Test void failover(@RedisClusterServers(owned = true) RedisCluster c)   // killMaster / awaitFailover
 * @Test void sentinel(@RedisSentinelServers RedisSentinel s)               // s.sentinelUri()
 * @Test void sentinelFailover(@RedisSentinelServers(owned = true) RedisSentinel s) // s.failover()
 * }</pre>
 *
 * <h2>Environment</h2>
 *
 * <ul>
 *   <li>{@code redis-server} and {@code redis-cli} from PATH (Debian {@code redis-server}, {@code
 *       redis-tools}); without them standalone servers use the Redis 6.2 binary of the test-scoped {@code
 *       embedded-redis} JAR, and cluster and Sentinel tests are skipped, or fail when {@code CI} is set.
 *   <li>{@code CACHET_TEST_REDIS_URL}: shared standalone servers are that server; tests must use {@link
 *       dev.cachet.testing.redis.RedisServer#keyPrefix()}; nothing ever runs {@code FLUSH*} on it.
 *   <li>JUnit configuration parameters {@code cachet.test.env.NAME} override those variables for the
 *       harness (its own tests use them to simulate a machine without Redis).
 * </ul>
 *
 * <p>Each server runs with {@code --save "" --appendonly no --bind 127.0.0.1 --enable-debug-command
 * local} in its own temporary directory, logging to a file whose tail is included in startup errors.
 * Shared servers live until the JUnit engine finishes; a JVM shutdown hook kills whatever is left.
 */
package dev.cachet.testing.redis;
