import dev.cachet.Cache;
import dev.cachet.memory.MemoryCacheBuilder;
import java.time.Duration;

public class QuickStart {
  public static void main(String[] args) {
    try (Cache<String, String> greetings = MemoryCacheBuilder.<String, String>newBuilder()
        .name("greetings").maximumSize(10_000).defaultTtl(Duration.ofMinutes(5)).build()) {
      String hello = greetings.get("world", key -> "Hello, " + key + "!"); // loads once, then hits
      System.out.println(hello + " " + greetings.stats());
    }
  }
}
