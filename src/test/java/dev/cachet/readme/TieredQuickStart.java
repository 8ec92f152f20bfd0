import dev.cachet.Cache;
import dev.cachet.CachetEnvironment;
import dev.cachet.KeyCodec;
import dev.cachet.crypto.FernetKeyRing;
import dev.cachet.redis.RedisCacheBuilder;
import dev.cachet.redis.RedisConnections;
import dev.cachet.resilience.ResilienceSettings;
import dev.cachet.serialization.ValueSerializers;
import dev.cachet.tiered.TieredCacheBuilder;
import java.time.Duration;

public class TieredQuickStart {
  record User(String id, String name) {}

  public static void main(String[] args) {
    CachetEnvironment env = CachetEnvironment.system();             // CACHET_REDIS_URL, CACHET_ENCRYPTION_KEYS
    try (RedisConnections redis = RedisConnections.fromEnvironment(env);       // share one per process
        Cache<String, User> users = TieredCacheBuilder.<String, User>newBuilder()
            .name("users").keyCodec(KeyCodec.strings()).defaultTtl(Duration.ofMinutes(30))
            .remote(RedisCacheBuilder.<String, User>newBuilder().connections(redis)
                .keyRing(FernetKeyRing.requireFromEnvironment(env))       // values are always sealed
                .serializer(ValueSerializers.json(User.class)))
            .resilience(ResilienceSettings.production())              // retries and a circuit breaker
            .build()) {
      User user = users.get("42", id -> new User(id, "Ada"));        // memory -> Redis -> loader
      System.out.println(user + " " + users.health().status());
    }
  }
}
