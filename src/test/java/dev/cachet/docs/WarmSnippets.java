package dev.cachet.docs;

import dev.cachet.Cache;
import dev.cachet.WarmReport;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The warming block of docs/getting-started.md: the region between {@code snippet:start} and {@code
 * snippet:end} is the block there, character for character ({@code DocsSnippetTests} checks it);
 * {@code WarmSnippetsTests} runs it.
 */
public final class WarmSnippets {

  private WarmSnippets() {}

  record User(String id, String name) {}

  /** A data source with a batch read, as a repository has. */
  interface UserRepository {
    Map<String, User> findAllById(Set<? extends String> ids);
  }

  static final UserRepository REPOSITORY = ids -> {
    Map<String, User> found = new HashMap<>();
    ids.forEach(id -> found.put(id, new User(id, "user " + id)));
    return found;
  };

  /** getting-started: warming at start-up. */
  static WarmReport warm(Cache<String, User> users, List<String> hotIds, UserRepository repository) {
    // snippet:start
    WarmReport report =
        users.async().warm(hotIds, missing -> repository.findAllById(missing)).join();
    System.out.println("users cache warmed: " + report);   // counts and elapsed time, never a key
    // snippet:end
    return report;
  }
}
