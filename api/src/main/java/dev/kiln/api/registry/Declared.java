package dev.kiln.api.registry;

import java.util.Map;

/**
 * The base of objects whose whole config is their declared arguments (initializers, regularizers,
 * constraints, schedules): it holds the {@link Args} and writes them as the config.
 */
public abstract class Declared implements KerasObject {
  private final Args args;

  /** An object with the defaults of {@code keras}; messages name it by kind and class. */
  protected Declared(KerasClass<?> keras) {
    this.args = Args.defaults(keras, () -> keras.kind().noun() + " '" + keras.className() + "'");
  }

  @Override
  public Args args() {
    return args;
  }

  @Override
  public String className() {
    return args.declaration().className();
  }

  @Override
  public Map<String, Object> getConfig() {
    return args.toConfig();
  }

  @Override
  public String toString() {
    return className() + getConfig();
  }
}
