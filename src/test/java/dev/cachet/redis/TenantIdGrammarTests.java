package dev.cachet.redis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.cachet.internal.Preconditions;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * One tenant-id grammar, {@code [A-Za-z0-9_.-]{1,64}}, everywhere a tenant id enters: the check itself,
 * {@code RedisCacheBuilder.tenant}, the key layout and the rotate tool ({@code forTenant} of a tiered
 * cache is checked against the same lists in {@code TieredTenantIsolationIntegrationTests}).
 */
class TenantIdGrammarTests {

  static final List<String> VALID =
      List.of("a", "A", "0", "acme", "Acme.EU-1_x", "-", ".", "_", "x".repeat(64), "tenant.with.dots");
  static final List<String> INVALID =
      List.of("", "x".repeat(65), "a:b", "a*", "a?", "a[b]", "a b", "caf\u00e9", "a\\b", "a/b", "a\u0000b");


  @Test
  void requireTenantId_acceptsTheGrammar_andRejectsEverythingElseNamingTheRule() {
    for (String id : VALID) {
      assertThat(Preconditions.requireTenantId(id)).isEqualTo(id);
    }
    for (String id : INVALID) {
      assertThatThrownBy(() -> Preconditions.requireTenantId(id))
          .as("'%s'", id)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("tenantId must match [A-Za-z0-9_.-]{1,64}");
    }
    assertThatThrownBy(() -> Preconditions.requireTenantId(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("tenantId");
  }

  @Test
  void redisCacheBuilderTenant_layoutAndRotate_followTheSameGrammar() {
    RedisKeyLayout root = new RedisKeyLayout("cachet", "users", 1, null, null);
    for (String id : VALID) {
      RedisCacheBuilder.<String, String>newBuilder().tenant(id);
      assertThat(root.forTenant(id).tenant()).isEqualTo(id);
      RedisRotation.newBuilder().tenant(id);
    }
    for (String id : INVALID) {
      assertThatThrownBy(() -> RedisCacheBuilder.<String, String>newBuilder().tenant(id))
          .as("builder '%s'", id)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("[A-Za-z0-9_.-]{1,64}");
      assertThatThrownBy(() -> root.forTenant(id))
          .as("layout '%s'", id)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("[A-Za-z0-9_.-]{1,64}");
      assertThatThrownBy(() -> RedisRotation.newBuilder().tenant(id))
          .as("rotate '%s'", id)
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("[A-Za-z0-9_.-]{1,64}");
    }
  }

  @Test
  void tenantGenerations_areInTheKey_andParseBack() {
    RedisKeyLayout acme = new RedisKeyLayout("cachet", "users", 1, null, null).forTenant("ac.me");
    String key = acme.entryKey("17.42", "k:with:colons");
    assertThat(key).isEqualTo("cachet:users:v1:g17.42:t.ac.me:k:k:with:colons");
    assertThat(acme.generationOf(key)).isEqualTo(17);
    assertThat(acme.tenantGenerationOf(key)).isEqualTo(42);
    assertThat(acme.isEntryOfThisTenant(key)).isTrue();
    String untenanted = new RedisKeyLayout("cachet", "users", 1, null, null).entryKey(17, "k.1");
    assertThat(acme.generationOf(untenanted)).isEqualTo(17);
    assertThat(acme.tenantGenerationOf(untenanted)).isEqualTo(-1);
    assertThat(acme.isEntryOfThisTenant(untenanted)).isFalse();
    assertThat(acme.tenantGenerationsKey()).isEqualTo("cachet:users:gen:tenants");
  }
}
