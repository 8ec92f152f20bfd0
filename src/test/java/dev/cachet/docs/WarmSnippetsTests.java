package dev.cachet.docs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.cachet.Cache;
import dev.cachet.WarmReport;
import dev.cachet.memory.MemoryCacheBuilder;
import java.util.List;
import org.junit.jupiter.api.Test;

class WarmSnippetsTests {

  @Test
  void warmSnippet_runs() {
    try (Cache<String, WarmSnippets.User> users =
        MemoryCacheBuilder.<String, WarmSnippets.User>newBuilder().name("snippet-warm").build()) {
      WarmReport report = WarmSnippets.warm(users, List.of("1", "2", "3"), WarmSnippets.REPOSITORY);
      assertThat(report.loaded()).isEqualTo(3);
      assertThat(users.getIfPresent("2")).isEqualTo(new WarmSnippets.User("2", "user 2"));
    }
  }
}
