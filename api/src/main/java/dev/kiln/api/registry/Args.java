package dev.kiln.api.registry;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The values of one object's declared arguments. Objects keep their Keras arguments here and read
 * them with {@link #get}; builder methods set them with {@link #set}, which checks the value and
 * names the object in its message.
 */
public final class Args {
  private final KerasClass<?> declaration;
  private final Supplier<String> owner;
  private final Map<Arg<?>, Object> values = new LinkedHashMap<>();

  private Args(KerasClass<?> declaration, Supplier<String> owner) {
    this.declaration = declaration;
    this.owner = owner;
    for (Arg<?> a : declaration.args()) {
      values.put(a, a.defaultValue());
    }
  }

  /**
   * The defaults of a declaration.
   *
   * @param owner names the object in messages ({@code layer 'dense_3'}), read when a message is
   *     made
   */
  public static Args defaults(KerasClass<?> declaration, Supplier<String> owner) {
    return new Args(declaration, owner);
  }

  /**
   * Reads a config strictly: every value is checked, a key the class does not declare is an error
   * naming the nearest declared keys (keys Keras itself ignores are skipped), and a required key
   * must be there.
   *
   * @param common keys the caller reads itself (a layer's {@code name}, {@code trainable})
   * @throws ArgumentException naming the object, the key and the value
   */
  public static Args fromConfig(
      KerasClass<?> declaration,
      Map<String, Object> config,
      java.util.Collection<String> common,
      String owner) {
    Args a = new Args(declaration, () -> owner);
    for (Map.Entry<String, Object> e : config.entrySet()) {
      String key = e.getKey();
      Arg<?> arg = declaration.arg(key);
      if (arg == null) {
        if (common.contains(key) || declaration.tolerated().contains(key)) {
          continue;
        }
        List<String> known = new ArrayList<>();
        for (Arg<?> x : declaration.args()) {
          known.add(x.key());
        }
        known.addAll(common);
        throw new ArgumentException(
            owner
                + ": unknown argument `"
                + key
                + "` for "
                + declaration.className()
                + Names.suggest(key, known)
                + "; its arguments are "
                + known);
      }
      a.values.put(arg, arg.read(e.getValue(), owner));
    }
    for (Arg<?> arg : declaration.args()) {
      if (arg.isRequired() && a.values.get(arg) == null) {
        throw new ArgumentException(
            owner + ": `" + arg.key() + "` is required (" + arg.expected() + ") but missing");
      }
    }
    return a;
  }

  /** The declaration these values belong to. */
  public KerasClass<?> declaration() {
    return declaration;
  }

  /** The value of {@code arg}. */
  @SuppressWarnings("unchecked")
  public <T> T get(Arg<T> arg) {
    if (!values.containsKey(arg)) {
      throw new IllegalStateException(
          declaration.className() + " does not declare the argument `" + arg.key() + "`");
    }
    return (T) values.get(arg);
  }

  /**
   * Sets {@code arg}, checking the value.
   *
   * @throws ArgumentException for a value the argument does not take, naming the object
   */
  public <T> Args set(Arg<T> arg, T value) {
    if (!values.containsKey(arg)) {
      throw new IllegalStateException(
          declaration.className() + " does not declare the argument `" + arg.key() + "`");
    }
    values.put(arg, arg.check(value, owner.get()));
    return this;
  }

  /** Copies every value of {@code other} (of the same declaration) into these. */
  public void setAll(Args other) {
    values.putAll(other.values);
  }

  /** The config entries, declared order, in config form. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public Map<String, Object> toConfig() {
    Map<String, Object> c = new LinkedHashMap<>();
    for (Map.Entry<Arg<?>, Object> e : values.entrySet()) {
      Arg raw = e.getKey();
      c.put(raw.key(), raw.write(e.getValue()));
    }
    return c;
  }

  /** The object's name in messages. */
  public String owner() {
    return owner.get();
  }
}
