package dev.cachet.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class BoundedPoolTests {

  @Test
  void acquire_afterRelease_reusesInsteadOfCreating() {
    AtomicInteger created = new AtomicInteger();
    BoundedPool<Object> pool = new BoundedPool<>(8, () -> created.incrementAndGet());

    Object first = pool.acquire();
    pool.release(first);
    Object second = pool.acquire();

    assertThat(second).isSameAs(first);
    assertThat(created).hasValue(1);
  }

  @Test
  void release_beyondCapacity_dropsExtras() {
    AtomicInteger created = new AtomicInteger();
    BoundedPool<Object> pool = new BoundedPool<>(8, () -> created.incrementAndGet());
    List<Object> held = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      held.add(pool.acquire());
    }
    held.forEach(pool::release);

    assertThat(created).hasValue(50);
    assertThat(pool.idleCount()).isEqualTo(pool.capacity()).isEqualTo(8);
  }

  @Test
  void offer_answersWhetherItKeptTheObject_soTheCallerCanFreeADroppedOne() {
    BoundedPool<Object> pool = new BoundedPool<>(2, Object::new);
    Object a = new Object();
    Object b = new Object();
    Object c = new Object();

    assertThat(pool.offer(a)).isTrue();
    assertThat(pool.offer(b)).isTrue();
    assertThat(pool.offer(c)).isFalse();
    assertThat(pool.idleCount()).isEqualTo(2);
    assertThat(List.of(pool.acquire(), pool.acquire())).containsExactlyInAnyOrder(a, b);
  }

  @Test
  void capacity_roundsUpToPowerOfTwo() {
    assertThat(new BoundedPool<>(5, Object::new).capacity()).isEqualTo(8);
    assertThat(new BoundedPool<>(8, Object::new).capacity()).isEqualTo(8);
    assertThat(new BoundedPool<>(1, Object::new).capacity()).isEqualTo(1);
    assertThat(BoundedPool.defaultCapacity()).isBetween(8, 64);
  }
}
