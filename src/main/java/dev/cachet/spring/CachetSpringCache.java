package dev.cachet.spring;

import dev.cachet.CacheLoaderException;
import java.util.Objects;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.function.Supplier;
import org.springframework.cache.Cache;
import org.springframework.cache.support.SimpleValueWrapper;

/**
 * A Spring {@link Cache} over a Cachet {@link dev.cachet.Cache}, made by {@link CachetCacheManager}.
 *
 * <ul>
 *   <li>{@link #get(Object, Callable)} runs through the Cachet cache's single flight (and its
 *       cross-instance lease when the tiered cache has one), so {@code @Cacheable(sync = true)} calls
 *       the method once per key across threads; whatever the loader throws reaches the caller wrapped
 *       in {@link ValueRetrievalException}, and nothing is stored.
 *   <li>{@link #retrieve(Object)} and {@link #retrieve(Object, Supplier)} use the async view, for
 *       {@code CompletableFuture} and reactive methods.
 *   <li>{@link #evict}, {@link #evictIfPresent}, {@link #clear} and {@link #invalidate} remove at once,
 *       in every tier, before they return (Cachet's invalidation is never deferred).
 *   <li>{@code null} is cached only when null values are allowed, as a marker that expires like any
 *       value and is sealed in Redis like any value; otherwise a {@code null} result is returned but not
 *       cached, and {@link #put} of {@code null} removes the key.
 * </ul>
 *
 * <p>{@link #putIfAbsent} is Spring's default (a read, then a put): not atomic across instances.
 * {@link #evictIfPresent} and {@link #invalidate} return {@code false}: Cachet does not report whether
 * something was removed. Thread-safe; keys must not be null.
 */
public final class CachetSpringCache implements Cache {

  private final dev.cachet.Cache<Object, Object> cache;
  private final boolean allowNullValues;

  CachetSpringCache(dev.cachet.Cache<Object, Object> cache, boolean allowNullValues) {
    this.cache = Objects.requireNonNull(cache, "cache must not be null");
    this.allowNullValues = allowNullValues;
  }

  @Override
  public String getName() {
    return cache.name();
  }

  /** The Cachet cache behind this adapter (values may be the adapter's null marker). */
  @Override
  public dev.cachet.Cache<Object, Object> getNativeCache() {
    return cache;
  }

  /** Whether {@code null} values are cached. */
  public boolean isAllowNullValues() {
    return allowNullValues;
  }

  @Override
  public ValueWrapper get(Object key) {
    Object stored = cache.getIfPresent(requireKey(key));
    return stored == null ? null : new SimpleValueWrapper(fromStore(stored));
  }

  @Override
  public <T> T get(Object key, Class<T> type) {
    Object value = fromStore(cache.getIfPresent(requireKey(key)));
    if (value != null && type != null && !type.isInstance(value)) {
      throw new IllegalStateException(
          "cached value in cache '"
              + getName()
              + "' is not of required type "
              + type.getName()
              + " but "
              + value.getClass().getName());
    }
    return type == null ? castUnchecked(value) : type.cast(value);
  }

  @Override
  public <T> T get(Object key, Callable<T> valueLoader) {
    requireKey(key);
    Objects.requireNonNull(valueLoader, "valueLoader must not be null");
    Object stored;
    try {
      stored =
          cache.get(
              key,
              k -> {
                T loaded;
                try {
                  loaded = valueLoader.call();
                } catch (Throwable t) {
                  throw new LoaderFailure(t);
                }
                return toStoreFromLoader(loaded);
              });
    } catch (LoaderFailure e) {
      throw new ValueRetrievalException(key, valueLoader, e.getCause());
    } catch (CacheLoaderException | CompletionException e) {
      if (e.getCause() instanceof LoaderFailure failure) {
        throw new ValueRetrievalException(key, valueLoader, failure.getCause());
      }
      throw e;
    }
    return castUnchecked(fromStore(stored));
  }

  @Override
  public CompletableFuture<?> retrieve(Object key) {
    return cache
        .async()
        .getIfPresent(requireKey(key))
        .thenApply(
            stored -> {
              if (stored == null) {
                return null; // a miss
              }
              Object value = fromStore(stored);
              return allowNullValues ? new SimpleValueWrapper(value) : value;
            });
  }

  @Override
  public <T> CompletableFuture<T> retrieve(
      Object key, Supplier<CompletableFuture<T>> valueLoader) {
    requireKey(key);
    Objects.requireNonNull(valueLoader, "valueLoader must not be null");
    CompletableFuture<Object> stored =
        cache
            .async()
            .get(
                key,
                k -> {
                  CompletableFuture<T> future;
                  T loaded;
                  try {
                    future = valueLoader.get();
                    loaded = future == null ? null : future.get();
                  } catch (ExecutionException e) {
                    throw new LoaderFailure(e.getCause() == null ? e : e.getCause());
                  } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new LoaderFailure(e);
                  } catch (Throwable t) {
                    throw new LoaderFailure(t);
                  }
                  return toStoreFromLoader(loaded);
                });
    CompletableFuture<T> result = new CompletableFuture<>();
    stored.whenComplete(
        (value, error) -> {
          if (error == null) {
            result.complete(castUnchecked(fromStore(value)));
          } else {
            result.completeExceptionally(loaderCause(error));
          }
        });
    return result;
  }

  /**
   * Stores {@code value}; {@code null} is stored as the null marker when null values are allowed, and
   * otherwise removes the key (the method's latest result is "nothing", and no older value may stay).
   */
  @Override
  public void put(Object key, Object value) {
    if (value == null && !allowNullValues) {
      cache.invalidate(requireKey(key));
      return;
    }
    cache.put(requireKey(key), toStore(value));
  }

  @Override
  public void evict(Object key) {
    cache.invalidate(requireKey(key));
  }

  /** Removes {@code key} from every tier before returning; returns {@code false} (presence unknown). */
  @Override
  public boolean evictIfPresent(Object key) {
    cache.invalidate(requireKey(key));
    return false;
  }

  @Override
  public void clear() {
    cache.invalidateAll();
  }

  /** Removes every entry before returning; returns {@code false} (presence unknown). */
  @Override
  public boolean invalidate() {
    cache.invalidateAll();
    return false;
  }

  @Override
  public String toString() {
    return "CachetSpringCache{" + getName() + ", allowNullValues=" + allowNullValues + '}';
  }

  // ---------------------------------------------------------------- helpers

  private Object requireKey(Object key) {
    return Objects.requireNonNull(key, "cache key must not be null");
  }

  private static Object toStore(Object value) {
    return value == null ? NullMarker.INSTANCE : value;
  }

  /** A loader's null is cached as the marker when allowed, and otherwise not cached at all. */
  private Object toStoreFromLoader(Object loaded) {
    if (loaded != null) {
      return loaded;
    }
    return allowNullValues ? NullMarker.INSTANCE : null;
  }

  private static Object fromStore(Object stored) {
    return stored == NullMarker.INSTANCE ? null : stored;
  }

  private static Throwable loaderCause(Throwable error) {
    Throwable current = error;
    while ((current instanceof CompletionException || current instanceof CacheLoaderException)
        && current.getCause() != null) {
      if (current.getCause() instanceof LoaderFailure failure) {
        return failure.getCause();
      }
      current = current.getCause();
    }
    return current instanceof LoaderFailure failure ? failure.getCause() : current;
  }

  @SuppressWarnings("unchecked")
  private static <T> T castUnchecked(Object value) {
    return (T) value;
  }

  /** Carries what the application's loader threw through Cachet, to tell it from Cachet's errors. */
  private static final class LoaderFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LoaderFailure(Throwable cause) {
      super(null, cause, false, false);
    }
  }
}
