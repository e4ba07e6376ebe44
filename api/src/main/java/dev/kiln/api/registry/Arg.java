package dev.kiln.api.registry;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * One declared Keras argument of a class: its config key, what values it takes, its default and how
 * it is written to a config. A class declares its arguments once, as constants, and its builder
 * methods, {@code getConfig}, {@code fromConfig} and error messages all go through them.
 *
 * {@snippet :
 * static final Arg<Integer> UNITS = Arg.positiveInt("units").required();
 * static final Arg<Boolean> USE_BIAS = Arg.bool("use_bias", true);
 * }
 *
 * @param <T> the Java type of the value
 */
public final class Arg<T> {
  private final String key;
  private final String expected;
  private final T defaultValue;
  private final boolean required;
  private final boolean nullable;
  private final Function<Object, T> reader;
  private final Predicate<T> check;
  private final Function<T, Object> writer;
  private Object defaultConfig;
  // The value's JSON Schema (no null, no default), for the published config schemas.
  private Map<String, Object> schema = Map.of();

  private Arg(
      String key,
      String expected,
      T defaultValue,
      boolean required,
      boolean nullable,
      Function<Object, T> reader,
      Predicate<T> check,
      Function<T, Object> writer) {
    this.key = key;
    this.expected = expected;
    this.defaultValue = defaultValue;
    this.required = required;
    this.nullable = nullable;
    this.reader = reader;
    this.check = check;
    this.writer = writer;
  }

  /**
   * A general argument.
   *
   * @param expected what a valid value is, for messages ("a positive integer")
   * @param reader turns a config value into a Java value; returns null (or throws
   *     IllegalArgumentException) for a value of the wrong type
   * @param writer turns a Java value back into a config value
   */
  public static <T> Arg<T> of(
      String key,
      String expected,
      T defaultValue,
      Function<Object, T> reader,
      Function<T, Object> writer) {
    return new Arg<>(key, expected, defaultValue, false, false, reader, v -> true, writer);
  }

  // ---------------------------------------------------------------- factories

  /** An integer ({@code 8.0} is read as 8; {@code 8.7} and values beyond int are refused). */
  public static Arg<Integer> integer(String key, Integer defaultValue) {
    return of(key, "an integer", defaultValue, Arg::readInt, v -> v)
        .schema(fragment("type", "integer"));
  }

  /** An integer {@code > 0}. */
  public static Arg<Integer> positiveInt(String key) {
    return integer(key, null)
        .checked("a positive integer", v -> v > 0)
        .schema(fragment("type", "integer", "minimum", 1));
  }

  /** An integer {@code >= 0}. */
  public static Arg<Integer> nonNegativeInt(String key, Integer defaultValue) {
    return integer(key, defaultValue)
        .checked("a non-negative integer", v -> v >= 0)
        .schema(fragment("type", "integer", "minimum", 0));
  }

  /** A finite or infinite number. */
  public static Arg<Double> number(String key, Double defaultValue) {
    return of(key, "a number", defaultValue, Arg::readDouble, v -> v)
        .schema(fragment("type", "number"));
  }

  /** A number in {@code [0, 1]}. */
  public static Arg<Double> fraction(String key, Double defaultValue) {
    return number(key, defaultValue)
        .checked("a number between 0 and 1", v -> v >= 0 && v <= 1)
        .schema(fragment("type", "number", "minimum", 0, "maximum", 1));
  }

  /** A number {@code >= 0}. */
  public static Arg<Double> nonNegative(String key, Double defaultValue) {
    return number(key, defaultValue)
        .checked("a number >= 0", v -> v >= 0)
        .schema(fragment("type", "number", "minimum", 0));
  }

  /** A number {@code > 0}. */
  public static Arg<Double> positive(String key, Double defaultValue) {
    return number(key, defaultValue)
        .checked("a number > 0", v -> v > 0)
        .schema(fragment("type", "number", "exclusiveMinimum", 0));
  }

  /** {@code true} or {@code false} (not the strings). */
  public static Arg<Boolean> bool(String key, Boolean defaultValue) {
    return of(key, "a boolean", defaultValue, v -> v instanceof Boolean b ? b : null, v -> v)
        .schema(fragment("type", "boolean"));
  }

  /** A string. */
  public static Arg<String> string(String key, String defaultValue) {
    return of(key, "a string", defaultValue, v -> v instanceof String s ? s : null, v -> v)
        .schema(fragment("type", "string"));
  }

  /** One of {@code choices}. */
  public static Arg<String> choice(String key, String defaultValue, String... choices) {
    List<String> cs = List.of(choices);
    return string(key, defaultValue)
        .checked("one of " + cs, cs::contains)
        .schema(fragment("type", "string", "enum", cs));
  }

  /** A list of integers; a single integer is read as a list of one. */
  public static Arg<int[]> ints(String key, int[] defaultValue) {
    return of(key, "a list of integers", defaultValue, Arg::readInts, Arg::writeInts).schema(INTS);
  }

  /** A seed: an integer or null. */
  public static Arg<Long> seed(String key) {
    return of(
            key,
            "an integer seed or null",
            null,
            v -> v instanceof Number n ? Long.valueOf(readLong(n)) : null,
            v -> v)
        .schema(fragment("type", "integer"))
        .nullable();
  }

  /**
   * An object of another kind (an initializer, a regularizer, an activation), read from a name or
   * Keras's serialized form and written back in that form.
   *
   * @param defaultConfig the default in config form ({@code "glorot_uniform"}), made anew for each
   *     object that takes it, or null
   */
  public static <T> Arg<T> object(Kind kind, Class<T> type, String key, Object defaultConfig) {
    Arg<T> a =
        of(
            key,
            "a " + kind.noun() + " (a name or a serialized " + kind.noun() + ")",
            null,
            v -> {
              Object o = Registry.deserialize(kind, v);
              return type.isInstance(o) ? type.cast(o) : null;
            },
            v -> Registry.write(kind, v));
    a.defaultConfig = defaultConfig;
    return a.schema(Schemas.ref(kind)).nullable();
  }

  /** Any JSON value, kept as it is. */
  public static Arg<Object> json(String key, Object defaultValue) {
    return of(key, "a JSON value", defaultValue, v -> v, v -> v).nullable();
  }

  // ---------------------------------------------------------------- modifiers

  private Arg<T> carry(Arg<T> next) {
    next.defaultConfig = defaultConfig;
    next.schema = schema;
    return next;
  }

  /**
   * This argument, described in the published JSON Schemas by {@code valueSchema}: the schema of a
   * non-null value, without its default (the generator adds null when the argument is nullable, the
   * default and the description). Arguments made with {@link #of} have none until given one; {@link
   * #checked} keeps the schema of the argument it refines, which its values still meet.
   *
   * {@snippet :
   * Arg.of("axis", "an integer", -1, MyLayer::readAxis, v -> v).schema(Map.of("type", "integer"));
   * }
   */
  public Arg<T> schema(Map<String, Object> valueSchema) {
    Arg<T> next =
        carry(new Arg<>(key, expected, defaultValue, required, nullable, reader, check, writer));
    // Sorted: a schema given with Map.of has no fixed order, and generated files must not change.
    next.schema = Collections.unmodifiableMap(new java.util.TreeMap<>(valueSchema));
    return next;
  }

  /** This argument with an extra check; {@code expected} replaces the description. */
  public Arg<T> checked(String expectedValue, Predicate<T> extra) {
    Predicate<T> before = check;
    return carry(
        new Arg<>(
            key,
            expectedValue,
            defaultValue,
            required,
            nullable,
            reader,
            v -> before.test(v) && extra.test(v),
            writer));
  }

  /** This argument, which a config must give (no default). */
  public Arg<T> required() {
    return carry(new Arg<>(key, expected, null, true, nullable, reader, check, writer));
  }

  /** This argument, which may be null (absent). */
  public Arg<T> nullable() {
    return carry(new Arg<>(key, expected, defaultValue, required, true, reader, check, writer));
  }

  /**
   * This argument with a default in config form ({@code "glorot_uniform"}), read anew for each
   * object, so that objects never share a default instance.
   */
  public Arg<T> defaultConfig(Object json) {
    Arg<T> next = new Arg<>(key, expected, null, required, nullable, reader, check, writer);
    next.defaultConfig = json;
    next.schema = schema;
    return next;
  }

  /** This argument with another default. */
  public Arg<T> defaultTo(T value) {
    return carry(new Arg<>(key, expected, value, required, nullable, reader, check, writer));
  }

  // ---------------------------------------------------------------- use

  /** The config key ({@code use_bias}). */
  public String key() {
    return key;
  }

  /** What a valid value is, for messages and schemas. */
  public String expected() {
    return expected;
  }

  /** The default, or null. A default given in config form is read anew for each object. */
  public T defaultValue() {
    if (defaultValue == null && defaultConfig != null) {
      return reader.apply(defaultConfig);
    }
    return defaultValue;
  }

  /**
   * The JSON Schema of a non-null value ({@code {"type": "integer", "minimum": 1}}); empty when any
   * JSON value passes the schema (Kiln's reader still checks it).
   */
  public Map<String, Object> schema() {
    return schema;
  }

  /** Whether a config must give it. */
  public boolean isRequired() {
    return required;
  }

  /** Whether null is a valid value. */
  public boolean isNullable() {
    return nullable || defaultValue == null && defaultConfig == null && !required;
  }

  /**
   * Checks a value given in Java.
   *
   * @param owner names the object in the message ({@code layer 'dense_3'})
   * @throws ArgumentException if the value is not valid
   */
  public T check(T value, String owner) {
    if (value == null) {
      if (!isNullable()) {
        throw new ArgumentException(owner + ": `" + key + "` must be " + expected + ", got null");
      }
      return null;
    }
    if (!check.test(value)) {
      throw new ArgumentException(
          owner + ": `" + key + "` must be " + expected + ", got " + show(value));
    }
    return value;
  }

  /**
   * Reads a config value.
   *
   * @throws ArgumentException if it has the wrong type or fails the check
   */
  public T read(Object json, String owner) {
    if (json == null) {
      return check(null, owner);
    }
    T v;
    try {
      v = reader.apply(json);
    } catch (IllegalArgumentException | ClassCastException e) {
      String why = e.getMessage() == null ? "" : " (" + e.getMessage() + ")";
      throw new ArgumentException(
          owner + ": `" + key + "` must be " + expected + ", got " + show(json) + why);
    }
    if (v == null) {
      throw new ArgumentException(
          owner + ": `" + key + "` must be " + expected + ", got " + show(json));
    }
    return check(v, owner);
  }

  /** The config form of a value. */
  public Object write(T value) {
    return value == null ? null : writer.apply(value);
  }

  @Override
  public String toString() {
    return key;
  }

  // ---------------------------------------------------------------- readers

  private static final Map<String, Object> INTS =
      fragment("type", List.of("integer", "array"), "items", fragment("type", "integer"));

  /** A schema fragment from keys and values in order. */
  static Map<String, Object> fragment(Object... keysAndValues) {
    Map<String, Object> m = new LinkedHashMap<>();
    for (int i = 0; i < keysAndValues.length; i += 2) {
      m.put((String) keysAndValues[i], keysAndValues[i + 1]);
    }
    return Collections.unmodifiableMap(m);
  }

  static String show(Object v) {
    if (v instanceof String s) {
      return "\"" + s + "\"";
    }
    if (v instanceof int[] a) {
      return Arrays.toString(a);
    }
    if (v instanceof Double d && d == Math.rint(d) && Math.abs(d) < 1e15) {
      return Long.toString(d.longValue());
    }
    return Objects.toString(v);
  }

  private static long readLong(Number n) {
    if (n instanceof Double || n instanceof Float || n instanceof java.math.BigDecimal) {
      double d = n.doubleValue();
      if (d != Math.rint(d) || Double.isInfinite(d) || Math.abs(d) > 9.007199254740992e15) {
        throw new IllegalArgumentException("not an integer");
      }
      return (long) d;
    }
    if (n instanceof java.math.BigInteger b) {
      return b.longValueExact();
    }
    return n.longValue();
  }

  private static Integer readInt(Object v) {
    if (v instanceof Boolean || !(v instanceof Number n)) {
      return null;
    }
    long l = readLong(n);
    if (l != (int) l) {
      throw new IllegalArgumentException("out of the integer range");
    }
    return (int) l;
  }

  private static Double readDouble(Object v) {
    return v instanceof Number n && !(v instanceof Boolean) ? n.doubleValue() : null;
  }

  private static int[] readInts(Object v) {
    if (v instanceof int[] a) {
      return a.clone();
    }
    if (v instanceof Number) {
      Integer i = readInt(v);
      return i == null ? null : new int[] {i};
    }
    if (v instanceof List<?> list) {
      int[] out = new int[list.size()];
      for (int i = 0; i < out.length; i++) {
        Integer x = readInt(list.get(i));
        if (x == null) {
          return null;
        }
        out[i] = x;
      }
      return out;
    }
    return null;
  }

  private static Object writeInts(int[] a) {
    List<Object> out = new ArrayList<>();
    for (int x : a) {
      out.add(x);
    }
    return out;
  }
}
