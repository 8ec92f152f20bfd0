package dev.cachet.docs;

import dev.cachet.Cache;
import dev.cachet.CacheHealth;
import dev.cachet.factory.CacheFactory;
import dev.cachet.factory.ManualTicker;
import dev.cachet.factory.PromptKey;
import dev.cachet.metrics.TieredCacheMetrics;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * The Java blocks of README.md and docs/ that are not whole programs: each region between {@code
 * snippet:start} and {@code snippet:end} is a block there, character for character ({@code
 * DocsSnippetTests} checks it), and {@code DocsSnippetTests} runs the methods.
 */
public final class FactorySnippets {

  private FactorySnippets() {}

  record User(String id, String name) {}

  record Answer(String text) {}

  static Answer callTheModel(List<Map<String, String>> messages) {
    return new Answer("4");
  }

  /** README quick start and getting-started: a web app. */
  static String webApp(MeterRegistry meterRegistry) {
    // snippet:start
    CacheFactory caches = CacheFactory.forWebApp(meterRegistry);    // reads CACHET_* variables
    Cache<String, User> users = caches.cache("users", User.class);
    // snippet:end
    try (caches) {
      return users.get("42", id -> new User(id, "Ada")).name();
    }
  }

  /** getting-started: an AI app. */
  static String aiApp(MeterRegistry meterRegistry) {
    // snippet:start
    try (CacheFactory caches = CacheFactory.forAiApp(meterRegistry)) {
      Cache<PromptKey, Answer> answers = caches.promptCache("answers", Answer.class);
      List<Map<String, String>> messages = List.of(Map.of("role", "user", "content", "2+2?"));
      PromptKey key = PromptKey.of("gpt-4o", messages, Map.of("temperature", "0.2", "max_tokens", 64));
      Answer answer = answers.get(key, k -> callTheModel(messages));  // one model call per prompt
      System.out.println(answer.text() + " " + caches.health().status());
    }
    // snippet:end
    return "ok";
  }

  /** getting-started: tests. */
  static boolean testing() {
    // snippet:start
    try (CacheFactory caches = CacheFactory.forTesting()) {            // memory only, no variables read
      Cache<String, String> sessions = caches.cache("sessions", String.class);
      ManualTicker ticker = caches.ticker().orElseThrow();
      sessions.put("s1", "alice");
      ticker.advance(Duration.ofMinutes(2));                          // past the preset's 1 min TTL
      assert sessions.getIfPresent("s1") == null;
    }
    // snippet:end
    return true;
  }

  /** getting-started: health. */
  static CacheHealth.Status health() {
    try (CacheFactory caches = CacheFactory.forTesting()) {
      caches.cache("users", String.class);
      // snippet:start
      CacheHealth health = caches.health();       // worst status over every cache, one detail per cache
      if (health.status() != CacheHealth.Status.UP) {
        System.out.println("cache health: " + health);
      }
      // snippet:end
      return health.status();
    }
  }

  /** operations.md: binding by hand. */
  static MeterBinder bindByHand(MeterRegistry meterRegistry, Cache<String, User> cache) {
    // snippet:start
    TieredCacheMetrics.monitor(meterRegistry, cache, Tags.of("app", "shop"));
    // or, for frameworks that call bindTo themselves (return it from a Spring Boot MeterBinder @Bean):
    MeterBinder binder = TieredCacheMetrics.of(cache, Tags.empty());
    // snippet:end
    return binder;
  }
}
