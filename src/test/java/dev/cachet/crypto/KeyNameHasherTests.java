package dev.cachet.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.CacheConfigurationException;
import dev.cachet.CachetEnvironment;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

class KeyNameHasherTests {
  private static final byte[] SECRET = new byte[32];

  static {
    for (int i = 0; i < SECRET.length; i++) {
      SECRET[i] = (byte) i;
    }
  }

  @Test
  void hash_matchesHkdfThenHmacComputedByHand() throws Exception {
    // RFC 5869 with an empty salt, written out with plain HMAC as the Python snippet does.
    Mac extract = Mac.getInstance("HmacSHA256");
    extract.init(new SecretKeySpec(new byte[32], "HmacSHA256"));
    byte[] prk = extract.doFinal(SECRET);
    Mac expand = Mac.getInstance("HmacSHA256");
    expand.init(new SecretKeySpec(prk, "HmacSHA256"));
    expand.update(KeyNameHasher.HKDF_INFO.getBytes(StandardCharsets.US_ASCII));
    byte[] namingKey = expand.doFinal(new byte[] {1});
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(namingKey, "HmacSHA256"));
    String expected = Base64.getUrlEncoder().withoutPadding()
        .encodeToString(mac.doFinal("user:42".getBytes(StandardCharsets.UTF_8)));

    assertThat(KeyNameHasher.of(SECRET).hash("user:42")).isEqualTo(expected).hasSize(43);
  }

  /** The derivation written out by hand, as the documented Python snippet does it. */
  private static String handMade(String info, String input) throws Exception {
    Mac extract = Mac.getInstance("HmacSHA256");
    extract.init(new SecretKeySpec(new byte[32], "HmacSHA256"));
    byte[] prk = extract.doFinal(SECRET);
    Mac expand = Mac.getInstance("HmacSHA256");
    expand.init(new SecretKeySpec(prk, "HmacSHA256"));
    expand.update(info.getBytes(StandardCharsets.US_ASCII));
    byte[] namingKey = expand.doFinal(new byte[] {1});
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(namingKey, "HmacSHA256"));
    return Base64.getUrlEncoder().withoutPadding().encodeToString(mac.doFinal(input.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void boundScheme_matchesTheDocumentedDerivation() throws Exception {
    KeyNameHasher bound = KeyNameHasher.of(SECRET).withScheme(KeyNameHasher.Scheme.BOUND);
    assertThat(bound.scheme()).isEqualTo(KeyNameHasher.Scheme.BOUND);
    assertThat(bound.hash("cachet", "users", null, "user:42"))
        .isEqualTo(handMade("cachet key-name hashing v2", "cachet:users:-:user:42"));
    assertThat(bound.hash("cachet", "users", "acme", "user:42"))
        .isEqualTo(handMade("cachet key-name hashing v2", "cachet:users:t.acme:user:42"));
    assertThat(bound.hashTenant("cachet", "users", "acme"))
        .isEqualTo(handMade("cachet key-name hashing v2", "#tenant:cachet:users:acme"));
  }

  @Test
  void boundScheme_separatesCachesTenantsAndPrefixes_keyOnlyDoesNot() {
    KeyNameHasher keyOnly = KeyNameHasher.of(SECRET);
    KeyNameHasher bound = keyOnly.withScheme(KeyNameHasher.Scheme.BOUND);
    String base = bound.hash("cachet", "users", "acme", "k");
    assertThat(bound.hash("cachet", "orders", "acme", "k")).as("another cache").isNotEqualTo(base);
    assertThat(bound.hash("cachet", "users", "globex", "k")).as("another tenant").isNotEqualTo(base);
    assertThat(bound.hash("cachet", "users", null, "k")).as("no tenant").isNotEqualTo(base);
    assertThat(bound.hash("other", "users", "acme", "k")).as("another prefix").isNotEqualTo(base);
    assertThat(base).as("not the scheme-1 name").isNotEqualTo(keyOnly.hash("k"));
    assertThat(bound.hash("cachet", "users", "acme", "k")).as("deterministic").isEqualTo(base);
    // scheme 1 stays what it was: the key alone, whatever the context
    assertThat(keyOnly.hash("cachet", "users", "acme", "k")).isEqualTo(keyOnly.hash("k"));
    assertThat(keyOnly.hash("cachet", "orders", "globex", "k")).isEqualTo(keyOnly.hash("k"));
    assertThat(bound.hash("k")).as("hash(String) is always scheme 1").isEqualTo(keyOnly.hash("k"));
    // a tenant's hidden name is never a key's
    assertThat(bound.hashTenant("cachet", "users", "acme")).isNotEqualTo(bound.hash("cachet", "users", null, "acme"));
    assertThat(keyOnly.withScheme(KeyNameHasher.Scheme.KEY_ONLY)).isSameAs(keyOnly);
    assertThat(bound.toString()).contains("scheme 2").doesNotContain("0102");
  }

  @Test
  void hash_isDeterministicAndSecretDependent() {
    byte[] other = SECRET.clone();
    other[0] ^= 1;
    KeyNameHasher hasher = KeyNameHasher.of(SECRET);

    assertThat(hasher.hash("a")).isEqualTo(KeyNameHasher.of(SECRET).hash("a"));
    assertThat(hasher.hash("a")).isNotEqualTo(hasher.hash("b"));
    assertThat(hasher.hash("a")).isNotEqualTo(KeyNameHasher.of(other).hash("a"));
    assertThat(hasher.hash("a")).doesNotContain("=", "+", "/");
  }

  @Test
  void of_shortSecret_isRejected() {
    assertThatThrownBy(() -> KeyNameHasher.of(new byte[31])).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void fromEnvironment_readsNamingSecretVariable() {
    String encoded = Base64.getUrlEncoder().encodeToString(SECRET);

    assertThat(KeyNameHasher.fromEnvironment(CachetEnvironment.of(Map.of()))).isEmpty();
    assertThat(KeyNameHasher.fromEnvironment(
                CachetEnvironment.of(Map.of(CachetEnvironment.KEY_NAMING_SECRET, encoded)))
            .orElseThrow()
            .hash("k"))
        .isEqualTo(KeyNameHasher.of(SECRET).hash("k"));
  }

  @Test
  void fromEnvironment_invalidSecret_namesVariableNotValue() {
    String bad = Base64.getUrlEncoder().encodeToString(new byte[16]);
    assertThatThrownBy(() -> KeyNameHasher.fromEnvironment(
            CachetEnvironment.of(Map.of(CachetEnvironment.KEY_NAMING_SECRET, bad))))
        .isInstanceOfSatisfying(
            CacheConfigurationException.class,
            e -> assertThat(e.getMessage()).contains("CACHET_KEY_NAMING_SECRET").doesNotContain(bad));
  }

  @Test
  void toString_hidesSecret() {
    assertThat(KeyNameHasher.of(SECRET).toString())
        .doesNotContain(Base64.getUrlEncoder().encodeToString(SECRET).substring(0, 10));
  }
}
