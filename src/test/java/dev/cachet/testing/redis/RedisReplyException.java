package dev.cachet.testing.redis;

/** Redis answered a harness command with an error reply (the message is the reply, e.g. {@code ERR ...}). */
public final class RedisReplyException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  RedisReplyException(String reply) {
    super(reply);
  }
}
