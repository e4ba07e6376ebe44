package dev.kiln.api.registry;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/**
 * The declaration of one serializable class: its kind, its Keras class name, its arguments in
 * config order, and how to make an instance from checked arguments. A class declares itself in a
 * {@code public static final KerasClass<...>} field; the {@link Registry} finds it there.
 *
 * {@snippet :
 * public static final KerasClass<Dense> KERAS =
 *     KerasClass.of(Kind.LAYER, "Dense", Dense.class, a -> new Dense(a.get(UNITS)), UNITS, USE_BIAS);
 * }
 *
 * @param <T> the Java class
 */
public final class KerasClass<T> {
  private final Kind kind;
  private final String className;
  private final Class<T> type;
  private final Function<Args, T> factory;
  private final List<Arg<?>> args;
  private final Set<String> aliases;
  private final Set<String> tolerated;

  private KerasClass(
      Kind kind,
      String className,
      Class<T> type,
      Function<Args, T> factory,
      List<Arg<?>> args,
      Set<String> aliases,
      Set<String> tolerated) {
    this.kind = kind;
    this.className = className;
    this.type = type;
    this.factory = factory;
    this.args = List.copyOf(args);
    this.aliases = Collections.unmodifiableSet(aliases);
    this.tolerated = Collections.unmodifiableSet(tolerated);
  }

  /**
   * A declaration.
   *
   * @param factory makes an instance from checked arguments; the registry then sets every other
   *     argument from the same {@link Args}
   */
  public static <T> KerasClass<T> of(
      Kind kind, String className, Class<T> type, Function<Args, T> factory, Arg<?>... args) {
    return new KerasClass<>(
        kind,
        className,
        type,
        factory,
        List.of(args),
        new LinkedHashSet<>(),
        new LinkedHashSet<>());
  }

  /** This declaration, also found by these names ({@code "mse"}, {@code "glorot_uniform"}). */
  public KerasClass<T> aliases(String... names) {
    Set<String> a = new LinkedHashSet<>(aliases);
    a.addAll(List.of(names));
    return new KerasClass<>(kind, className, type, factory, args, a, tolerated);
  }

  /** This declaration, accepting (and ignoring) these config keys, which Keras itself ignores. */
  public KerasClass<T> tolerating(String... keys) {
    Set<String> t = new LinkedHashSet<>(tolerated);
    t.addAll(List.of(keys));
    return new KerasClass<>(kind, className, type, factory, args, aliases, t);
  }

  /** This declaration with more arguments after the current ones. */
  public KerasClass<T> with(Arg<?>... more) {
    List<Arg<?>> all = new ArrayList<>(args);
    all.addAll(List.of(more));
    return new KerasClass<>(kind, className, type, factory, all, aliases, tolerated);
  }

  /** The kind. */
  public Kind kind() {
    return kind;
  }

  /** Keras's class name ({@code Dense}). */
  public String className() {
    return className;
  }

  /** The Java class. */
  public Class<T> type() {
    return type;
  }

  /** The declared arguments, in config order. */
  public List<Arg<?>> args() {
    return args;
  }

  /** Other names this class is found by. */
  public Set<String> aliases() {
    return aliases;
  }

  /** Config keys read and ignored. */
  public Set<String> tolerated() {
    return tolerated;
  }

  /** The declared argument with this key, or null. */
  public Arg<?> arg(String key) {
    for (Arg<?> a : args) {
      if (a.key().equals(key)) {
        return a;
      }
    }
    return null;
  }

  /**
   * An instance of this class from its Keras config, every value checked, whatever the registry
   * maps the class name to ({@code Losses.Huber.KERAS.fromConfig(Map.of("delta", 2.0))}).
   *
   * @throws ArgumentException for a config the class does not take, naming the key
   */
  public T fromConfig(java.util.Map<String, Object> config) {
    return Registry.build(this, className, config);
  }

  /** Makes an instance from checked arguments. */
  T create(Args a) {
    return factory.apply(a);
  }

  @Override
  public String toString() {
    return kind.noun() + " class " + className;
  }
}
