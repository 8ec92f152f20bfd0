package dev.cachet.serialization;

import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;

/**
 * Captures a generic type for {@link ValueSerializers#json(TypeToken)}, the usual super-type-token
 * idiom: {@code new TypeToken<List<Order>>() {}}. Immutable and thread-safe.
 *
 * @param <T> the captured type
 */
public abstract class TypeToken<T> {

  private final Type type;

  /**
   * Captures the type argument of the anonymous subclass.
   *
   * @throws IllegalStateException if created without a type argument ({@code new TypeToken() {}})
   */
  protected TypeToken() {
    Type superclass = getClass().getGenericSuperclass();
    if (!(superclass instanceof ParameterizedType)) {
      throw new IllegalStateException(
          "TypeToken must be created with a type argument: new TypeToken<List<Foo>>() {}");
    }
    this.type = ((ParameterizedType) superclass).getActualTypeArguments()[0];
  }

  /** The captured type. */
  public final Type type() {
    return type;
  }

  @Override
  public String toString() {
    return "TypeToken<" + type.getTypeName() + ">";
  }
}
