package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.CacheConfigurationException;
import io.lettuce.core.RedisURI;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Full validation of Redis URIs at build time: each malformed form named, never echoed. */
class RedisUrisTests {

  private static final String SECRET = "S3cretPw";

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "redis://127.0.0.1:notaport | the port is not a number",
        "redis://127.0.0.1:0 | the port is not a number",
        "redis://127.0.0.1:65536 | the port is not a number",
        "redis://127.0.0.1: | the port is not a number",
        "redis://user:S3cret@Pw@127.0.0.1:6379 | unescaped '@'",
        "redis://:S3cretPw@ | the host is empty",
        "redis:// | the host is empty",
        "redis://:6379 | the host is empty",
        "redis://user:S3c:retPw@host:6379 | more than one ':'",
        "http://S3cretPw@host | the scheme must be",
        "S3cretPw@host:6379 | the scheme must be",
        "redis://host:6379/zero | the database",
        "redis://host:6379/-1 | the database",
        "redis://host:6379?timeout=soon | query option 'timeout'",
        "redis://host:6379?database=x | query option 'database'",
        "redis://host:6379?S3cretPw=1 | unknown query option",
        "redis://host:6379?timeout | not name=value",
        "redis://h_st!:6379 | not a host name",
        "redis://a,b:6379 | several hosts",
        "redis-sentinel://s1:26379,s2:26379 | master name",
        "redis-sentinel://s1:26379,:26379#m | the host is empty",
        "redis://:S3cretPw#x@host | fragment",
        "redis://:S3cret%Pw@host | '%'",
        "redis://:S3cret Pw@host | a space",
        "redis://[::1 | closing ']'",
        "redis://[::1]x | ':port'",
        "redis://@host | no user info",
      })
  void malformed_invalidRedisUri_namingTheProblem_neverEchoingTheValue(String uri, String names) {
    assertThatThrownBy(() -> RedisUris.parse(uri))
        .isInstanceOfSatisfying(
            CacheConfigurationException.class,
            e -> {
              assertThat(e.reason()).isEqualTo(CacheConfigurationException.Reason.INVALID_REDIS_URI);
              assertThat(e.getMessage()).contains(names).doesNotContain(SECRET).doesNotContain("S3cret");
              assertThat(e.getCause()).isNull();
            });
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "redis://127.0.0.1:notaport",
        "redis://user:S3cret@Pw@127.0.0.1:6379",
        "redis://:S3cretPw@",
      })
  void connectionsCreate_rejectsAtBuildTime(String uri) {
    assertThatThrownBy(() -> RedisConnections.create(uri))
        .isInstanceOfSatisfying(
            CacheConfigurationException.class,
            e -> assertThat(e.reason()).isEqualTo(CacheConfigurationException.Reason.INVALID_REDIS_URI));
  }

  @ParameterizedTest
  @ValueSource(strings = {"127.0.0.1:notaport", "redis://:7000", "h:70000"})
  void clusterSeeds_validatedToo(String seed) {
    assertThatThrownBy(() -> RedisConnections.createCluster(List.of("127.0.0.1:7000", seed)))
        .isInstanceOfSatisfying(
            CacheConfigurationException.class,
            e -> assertThat(e.reason()).isEqualTo(CacheConfigurationException.Reason.INVALID_REDIS_URI));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "redis://localhost",
        "redis://localhost:6379",
        "redis://localhost:6379/",
        "redis://localhost:6379/3",
        "redis://user:pa%40ss@localhost:6379/0",
        "redis://:pw@10.0.0.1:6380",
        "rediss://cache.example.com:6380?timeout=2s&clientName=app",
        "redis://[::1]:6379",
        "redis://[::1]",
        "redis://my_host:1?database=2&verifyPeer=NONE",
        "redis-sentinel://s1:26379,s2:26379,s3#mymaster",
        "redis-sentinel://pw@s1:26379#mymaster",
        "redis-sentinel://s1:26379?sentinelMasterId=mymaster",
      })
  void wellFormed_accepted(String uri) {
    RedisURI parsed = RedisUris.parse(uri);
    assertThat(parsed).isNotNull();
  }

  @org.junit.jupiter.api.Test
  void escapedPassword_decodedForLettuce() {
    RedisURI parsed = RedisUris.parse("redis://user:pa%40ss@localhost:6379/2?timeout=3s");
    io.lettuce.core.RedisCredentials credentials = parsed.getCredentialsProvider().resolveCredentials().block();
    assertThat(new String(credentials.getPassword())).isEqualTo("pa@ss");
    assertThat(credentials.getUsername()).isEqualTo("user");
    assertThat(parsed.getDatabase()).isEqualTo(2);
    assertThat(parsed.getTimeout()).isEqualTo(Duration.ofSeconds(3));
  }
}
