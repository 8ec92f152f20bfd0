package dev.cachet.spring;

import dev.cachet.KeyCodec;
import dev.cachet.serialization.ValueSerializer;
import java.util.Objects;

/**
 * What {@link CachetCacheManager} asks its cache function to build: a Cachet cache named {@code name}
 * whose keys are encoded with {@code keyCodec} and whose remote tier (if any) serializes values with
 * {@code valueSerializer}. Both must be used: the codec understands Spring's {@code SimpleKey}, and the
 * serializer stores the null marker of caches that allow null values.
 *
 * <pre>{@code
 * spec -> TieredCacheBuilder.<Object, Object>newBuilder()
 *     .name(spec.name()).keyCodec(spec.keyCodec())
 *     .remote(RedisCacheBuilder.<Object, Object>newBuilder().connections(redis).keyRing(ring)
 *         .serializer(spec.valueSerializer()))
 *     .build()
 * }</pre>
 *
 * @param name the Spring cache name, also the Cachet cache name
 * @param keyCodec the key codec to give the cache builder
 * @param valueSerializer the value serializer to give the Redis builder (unused by memory-only caches)
 */
public record SpringCacheSpec(
    String name, KeyCodec<Object> keyCodec, ValueSerializer<Object> valueSerializer) {

  /** Checks that no component is null. */
  public SpringCacheSpec {
    Objects.requireNonNull(name, "name must not be null");
    Objects.requireNonNull(keyCodec, "keyCodec must not be null");
    Objects.requireNonNull(valueSerializer, "valueSerializer must not be null");
  }
}
