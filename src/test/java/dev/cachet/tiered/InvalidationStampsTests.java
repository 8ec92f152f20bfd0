package dev.cachet.tiered;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class InvalidationStampsTests {

  @Test
  void invalidationAfterRead_isSeen_beforeRead_isNot() {
    InvalidationStamps stamps = new InvalidationStamps();
    stamps.invalidated("k");
    long read = stamps.now();
    assertThat(stamps.invalidatedSince("k", read)).isFalse();
    stamps.invalidated("k");
    assertThat(stamps.invalidatedSince("k", read)).isTrue();
    assertThat(stamps.invalidatedSince("other", read)).isFalse();
  }

  @Test
  void clearAll_invalidatesEveryEarlierRead() {
    InvalidationStamps stamps = new InvalidationStamps();
    long read = stamps.now();
    stamps.invalidatedAll();
    assertThat(stamps.invalidatedSince("anything", read)).isTrue();
    assertThat(stamps.invalidatedSince("anything", stamps.now())).isFalse();
  }

  @Test
  void prune_forgetsOldStamps_butTreatsOlderReadsAsInvalidated() {
    InvalidationStamps stamps = new InvalidationStamps();
    long oldRead = stamps.now();
    stamps.invalidated("a");
    stamps.prune();
    stamps.prune();
    assertThat(stamps.size()).isZero();
    assertThat(stamps.invalidatedSince("a", oldRead)).isTrue();
    assertThat(stamps.invalidatedSince("a", stamps.now())).isFalse();
  }
}
