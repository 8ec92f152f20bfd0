package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** A clear scoped to one tenant's keys (a memory-key prefix) leaves other keys alone. */
class KeyOrderScopedClearTests {

  private static final Duration TTL = Duration.ofMinutes(1);
  private static final String ACME = TieredCache.scopeOf("acme");
  private static final String GLOBEX = TieredCache.scopeOf("globex");

  private final KeyOrderLincheckTests.MapTier memory = new KeyOrderLincheckTests.MapTier();
  private final KeyOrder<String> order = new KeyOrder<>(memory);

  private void fill(String key, String value) {
    assertThat(order.storeIfUnchanged(key, order.readStamp(), value, TTL)).isTrue();
  }

  @Test
  void scopedClear_dropsOnlyThatScope() {
    fill(ACME + "k", "a");
    fill(GLOBEX + "k", "g");
    fill("k", "root");
    order.clear(ACME);
    assertThat(memory.peek(ACME + "k")).isNull();
    assertThat(memory.peek(GLOBEX + "k")).isEqualTo("g");
    assertThat(memory.peek("k")).isEqualTo("root");
  }

  @Test
  void refillOfTheClearedScope_readBeforeTheClear_isRefused_otherScopesStore() {
    long readStamp = order.readStamp(); // both reads begin
    order.beginClear(ACME);
    assertThat(order.storeIfUnchanged(ACME + "k", readStamp, "stale", TTL)).as("during the clear").isFalse();
    assertThat(order.storeIfUnchanged(GLOBEX + "k", readStamp, "g", TTL)).as("another tenant").isTrue();
    order.endClear(ACME);
    assertThat(order.storeIfUnchanged(ACME + "k", readStamp, "stale", TTL)).as("after the clear").isFalse();
    assertThat(memory.peek(ACME + "k")).isNull();
    assertThat(memory.peek(GLOBEX + "k")).isEqualTo("g");
    fill(ACME + "k", "fresh"); // a read that began after the clear stores
    assertThat(memory.peek(ACME + "k")).isEqualTo("fresh");
  }

  @Test
  void writeOverlappingAScopedClear_storesNothing_writesOfOtherScopesStore() {
    KeyOrder.Write acme = order.beginWrite(ACME + "k");
    KeyOrder.Write globex = order.beginWrite(GLOBEX + "k");
    order.clear(ACME);
    assertThat(order.endWrite(acme, "a", TTL)).isFalse();
    assertThat(order.endWrite(globex, "g", TTL)).isTrue();
    assertThat(memory.peek(ACME + "k")).isNull();
    assertThat(memory.peek(GLOBEX + "k")).isEqualTo("g");
  }

  @Test
  void prune_forgetsSettledScopedClears_andStaysConservativeForOlderWrites() {
    KeyOrder.Write globex = order.beginWrite(GLOBEX + "k");
    order.clear(ACME);
    order.prune();
    order.prune(); // the floor passes the clear: its record is forgotten
    assertThat(order.trackedScopes()).isZero();
    // a write that began before the forgotten clear cannot tell its scope: it does not store
    assertThat(order.endWrite(globex, "g", TTL)).isFalse();
    fill(GLOBEX + "k", "later");
    assertThat(memory.peek(GLOBEX + "k")).isEqualTo("later");
  }
}
