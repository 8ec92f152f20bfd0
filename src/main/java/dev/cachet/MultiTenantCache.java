package dev.cachet;

/**
 * A cache that can be viewed per tenant. A tenant view shares the cache's connections, memory bound and
 * settings, but its keys live in a namespace of their own: the same logical key in two tenants holds two
 * values, and in Redis a value sealed for one tenant's key is rejected under another's, without any
 * per-tenant key material. Thread-safe.
 */
public interface MultiTenantCache<K, V> extends Cache<K, V> {

  /**
   * The view of this cache for {@code tenantId}. Closing a view does nothing to its parent; closing the
   * parent closes every view. A closed view is never returned again: the next call returns a new one.
   * {@code invalidateAll()} and pattern invalidation on a view affect that tenant alone, in Redis and in
   * every instance's memory; on the parent they affect the whole cache, every tenant included.
   *
   * @param tenantId {@code [A-Za-z0-9_.-]{1,64}}, the same rule as {@code RedisCacheBuilder.tenant}
   * @throws IllegalArgumentException if {@code tenantId} does not match
   * @throws NullPointerException if {@code tenantId} is null
   */
  Cache<K, V> forTenant(String tenantId);
}
