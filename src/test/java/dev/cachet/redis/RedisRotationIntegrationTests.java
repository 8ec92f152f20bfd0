package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.Cache;
import dev.cachet.crypto.FernetKey;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.testing.redis.RedisCluster;
import dev.cachet.testing.redis.RedisClusterServers;
import dev.cachet.testing.redis.RedisServer;
import dev.cachet.testing.redis.RedisStandaloneServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** {@link RedisRotation} against real servers: compare-and-set, re-runs, tenants, cluster. */
class RedisRotationIntegrationTests {

  private static final FernetKey A = FernetKey.generate();
  private static final FernetKey B = FernetKey.generate();

  private static Cache<String, String> cache(
      RedisConnections c, String prefix, String tenant, FernetKeyRing ring) {
    RedisCacheBuilder<String, String> b =
        RedisCacheBuilder.newBuilder(String.class, String.class)
            .name("rot")
            .connections(c)
            .keyPrefix(prefix)
            .keyRing(ring)
            .deleteBadEntries(false)
            .defaultTtl(Duration.ofMinutes(10));
    if (tenant != null) {
      b.tenant(tenant);
    }
    return b.build();
  }

  private static List<String> keys(int n) {
    List<String> keys = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      keys.add("key-" + i);
    }
    return keys;
  }

  @Test
  void rotate_valueChangedBetweenReadAndWrite_isNotOverwritten_andARerunRotatesIt(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    String prefix = "rot-cas";
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> old = cache(c, prefix, null, FernetKeyRing.of(A));
        Cache<String, String> next = cache(c, prefix, null, FernetKeyRing.of(B))) {
      keys(50).forEach(k -> old.put(k, "v-" + k));
      AtomicBoolean changed = new AtomicBoolean();
      RedisRotation.Builder b =
          RedisRotation.newBuilder().connections(c).cacheName("rot").keyPrefix(prefix).keys(List.of(B, A));
      b.afterReadsOfEachPage(
          () -> {
            if (changed.compareAndSet(false, true)) {
              old.put("key-7", "changed meanwhile"); // an old instance writes under A
              old.invalidate("key-8"); // and deletes another
            }
          });
      RedisRotation.Progress first = b.build().run(p -> {});
      assertThat(first.total()).isEqualTo(50);
      assertThat(first.rotated()).isEqualTo(48);
      assertThat(first.changed()).isEqualTo(2);
      assertThat(first.unreadable()).isZero();
      // Not overwritten: still the new value, still under A only.
      assertThat(old.getIfPresent("key-7")).isEqualTo("changed meanwhile");
      assertThat(next.getIfPresent("key-7")).isNull();
      assertThat(next.getIfPresent("key-8")).isNull();

      RedisRotation.Progress second =
          RedisRotation.newBuilder().connections(c).cacheName("rot").keyPrefix(prefix)
              .keys(List.of(B, A)).build().run(p -> {});
      assertThat(second.total()).isEqualTo(49);
      assertThat(second.rotated()).isEqualTo(1);
      assertThat(second.alreadyCurrent()).isEqualTo(48);
      assertThat(next.getIfPresent("key-7")).isEqualTo("changed meanwhile");
    }
  }

  @Test
  void rotate_tenant_onlyThatTenantsEntries_andForeignTokensAreCountedNotTouched(
      @RedisStandaloneServer(owned = true) RedisServer redis) throws Exception {
    String prefix = "rot-tenant";
    FernetKey foreign = FernetKey.generate();
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> t1 = cache(c, prefix, "t1", FernetKeyRing.of(A));
        Cache<String, String> t2 = cache(c, prefix, "t2", FernetKeyRing.of(A));
        Cache<String, String> t1Foreign = cache(c, prefix, "t1", FernetKeyRing.of(foreign))) {
      keys(10).forEach(k -> t1.put(k, k));
      keys(10).forEach(k -> t2.put(k, k));
      t1Foreign.put("foreign", "x");
      List<RedisRotation.Progress> reports = new ArrayList<>();
      RedisRotation.Progress result =
          RedisRotation.newBuilder().connections(c).cacheName("rot").keyPrefix(prefix).tenant("t1")
              .keys(List.of(B, A)).batchSize(3).build().run(reports::add);
      assertThat(result.total()).isEqualTo(11);
      assertThat(result.rotated()).isEqualTo(10);
      assertThat(result.unreadable()).isEqualTo(1);
      assertThat(reports).hasSizeGreaterThan(2);
      assertThat(reports.get(reports.size() - 1).done()).isEqualTo(11);
      try (Cache<String, String> t1New = cache(c, prefix, "t1", FernetKeyRing.of(B));
          Cache<String, String> t2New = cache(c, prefix, "t2", FernetKeyRing.of(B))) {
        assertThat(t1New.getAllPresent(keys(10))).hasSize(10);
        assertThat(t2New.getAllPresent(keys(10))).isEmpty();
      }
    }
  }

  @Test
  void rotate_cluster_scansEveryMaster(@RedisClusterServers RedisCluster cluster) throws Exception {
    String prefix = "rot-cluster-" + System.nanoTime();
    try (RedisConnections c = RedisConnections.createCluster(cluster.seedUris());
        Cache<String, String> old = cache(c, prefix, null, FernetKeyRing.of(A))) {
      List<String> keys = keys(300);
      keys.forEach(k -> old.put(k, "v-" + k));
      RedisRotation.Progress result =
          RedisRotation.newBuilder().connections(c).cacheName("rot").keyPrefix(prefix)
              .keys(List.of(B, A)).build().run(p -> {});
      assertThat(result.total()).isEqualTo(300);
      assertThat(result.rotated()).isEqualTo(300);
      try (Cache<String, String> next = cache(c, prefix, null, FernetKeyRing.of(B))) {
        Map<String, String> all = next.getAllPresent(keys);
        assertThat(all).hasSize(300);
        assertThat(all.get("key-42")).isEqualTo("v-key-42");
      }
    }
  }

  /**
   * Rotation re-encrypts the same plaintext: a CBOR entry (deflated or not) stays CBOR, and an entry in a
   * payload format this release cannot read (id 2) is rotated byte for byte, never rewritten or dropped.
   */
  @Test
  void rotate_keepsEveryPayloadFormat_includingOnesThisReleaseCannotRead(
      @RedisStandaloneServer RedisServer redis) throws Exception {
    String prefix = RedisTestSupport.prefixFrom(redis.keyPrefix()) + ".fmt";
    try (RedisConnections c = RedisConnections.create(redis.uri());
        Cache<String, String> cbor = RedisCacheBuilder.newBuilder(String.class, String.class)
            .name("rot").connections(c).keyPrefix(prefix).keyRing(FernetKeyRing.of(A))
            .payloadFormat(dev.cachet.serialization.PayloadFormat.CBOR).compressionThreshold(32).build();
        Cache<String, String> next = cache(c, prefix, null, FernetKeyRing.of(B, A))) {
      cbor.put("small", "v");
      cbor.put("big", "compressible ".repeat(20));
      cbor.put("unknown", "u");
      @SuppressWarnings("unchecked")
      List<Object> entries = (List<Object>) redis.call("KEYS", prefix + ":rot:v1:*");
      assertThat(entries).hasSize(3);
      Map<String, byte[]> before = new java.util.HashMap<>();
      for (Object e : entries) {
        String key = String.valueOf(e);
        byte[] plaintext = FernetKeyRing.of(A).decrypt(((String) redis.call("GET", key)).getBytes());
        if (key.endsWith(":unknown")) {
          plaintext[1] = 0b100; // payload format id 2
          redis.call("SET", key, new String(FernetKeyRing.of(A).encrypt(plaintext)), "PX", "600000");
        }
        before.put(key, plaintext);
      }
      RedisRotation.Progress p =
          RedisRotation.newBuilder().connections(c).cacheName("rot").keyPrefix(prefix).keys(List.of(B, A))
              .build().run(x -> {});
      assertThat(p.rotated()).isEqualTo(3);
      for (Map.Entry<String, byte[]> e : before.entrySet()) {
        byte[] after = FernetKeyRing.of(B).decrypt(((String) redis.call("GET", e.getKey())).getBytes());
        assertThat(after).as(e.getKey()).isEqualTo(e.getValue());
      }
      assertThat(next.getIfPresent("small")).isEqualTo("v");
      assertThat(next.getIfPresent("big")).isEqualTo("compressible ".repeat(20));
      assertThat(next.getIfPresent("unknown")).isNull();
    }
  }

  @Test
  void builder_rejectsMissingAndRepeatedSettings() {
    assertThatThrownBy(() -> RedisRotation.newBuilder().build()).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> RedisRotation.newBuilder().keys(List.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RedisRotation.newBuilder().tenant("a:b"))
        .isInstanceOf(IllegalArgumentException.class);
    AtomicReference<RedisRotation.Builder> b = new AtomicReference<>(RedisRotation.newBuilder().batchSize(5));
    assertThatThrownBy(() -> b.get().batchSize(6)).isInstanceOf(IllegalStateException.class);
  }
}
