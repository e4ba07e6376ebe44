package dev.kiln.api.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KilnException;
import dev.kiln.api.activations.ActivationFunction;
import dev.kiln.api.constraints.Constraints;
import dev.kiln.api.initializers.Initializer;
import dev.kiln.api.initializers.Initializers;
import dev.kiln.api.losses.Loss;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.metrics.Metric;
import dev.kiln.api.metrics.Metrics;
import dev.kiln.api.ops.Ops;
import dev.kiln.api.optimizers.Adam;
import dev.kiln.api.optimizers.Optimizer;
import dev.kiln.api.optimizers.Optimizers;
import dev.kiln.api.optimizers.SGD;
import dev.kiln.api.optimizers.schedules.Schedules;
import dev.kiln.api.regularizers.Regularizer;
import dev.kiln.api.regularizers.Regularizers;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Every registered class of the non-layer kinds: its config round-trips through the registry, each
 * declared argument is written and read back, its aliases find it; unknown names, unknown keys and
 * wrong types are errors that name the object and the key; users' classes are found by name.
 */
class KindsRegistryTest {
  private static final List<Kind> KINDS =
      List.of(
          Kind.ACTIVATION,
          Kind.LOSS,
          Kind.METRIC,
          Kind.OPTIMIZER,
          Kind.SCHEDULE,
          Kind.INITIALIZER,
          Kind.REGULARIZER,
          Kind.CONSTRAINT);

  /** Values for required arguments, by key. */
  private static final Map<String, Object> REQUIRED =
      Map.of(
          "initial_learning_rate",
          0.1,
          "decay_steps",
          10,
          "first_decay_steps",
          10,
          "decay_rate",
          0.5,
          "boundaries",
          List.of(10),
          "values",
          List.of(1.0, 0.5),
          "fn",
          "mse",
          "inner_optimizer",
          "sgd");

  /** Config values tried, in order, as a changed value of each declared argument. */
  private static final List<Object> CANDIDATES =
      List.of(
          0.5,
          0.25,
          true,
          false,
          3,
          2,
          "mae",
          "PR",
          "fan_out",
          "uniform",
          "sum",
          "macro",
          "variance_weighted_average",
          List.of(5),
          List.of(1, 2));

  private static Map<String, Object> sample(KerasClass<?> d) {
    Map<String, Object> c = new LinkedHashMap<>();
    for (Arg<?> a : d.args()) {
      if (a.isRequired()) {
        assertTrue(REQUIRED.containsKey(a.key()), "a sample value for required `" + a.key() + "`");
        c.put(a.key(), REQUIRED.get(a.key()));
      }
    }
    return c;
  }

  @TestFactory
  Stream<DynamicTest> everyClassRoundTrips() {
    List<DynamicTest> tests = new ArrayList<>();
    for (Kind kind : KINDS) {
      List<KerasClass<?>> ds = Registry.declarations(kind);
      assertFalse(ds.isEmpty(), "no " + kind.noun() + " is registered");
      for (KerasClass<?> d : ds) {
        if (!d.type().getName().startsWith("dev.kiln.api.")
            || d.type().getName().contains("Test")) {
          continue; // users' classes registered by other tests
        }
        tests.add(
            DynamicTest.dynamicTest(kind.noun() + " " + d.className(), () -> roundTrip(kind, d)));
      }
    }
    return tests.stream();
  }

  private static void roundTrip(Kind kind, KerasClass<?> d) {
    for (String alias : d.aliases()) {
      assertEquals(
          d.className(),
          Registry.declaration(kind, alias).className(),
          "alias '" + alias + "' of " + d.className());
    }
    Object obj = Registry.fromConfig(kind, d.className(), sample(d));
    if (kind == Kind.ACTIVATION) {
      Object written = Registry.write(kind, obj);
      assertEquals(d.className(), written, "an activation is written as its name");
      assertEquals(
          d.className(), ((ActivationFunction) Registry.deserialize(kind, written)).name());
      return;
    }
    KerasObject k = assertInstanceOf(KerasObject.class, obj);
    assertEquals(d.className(), k.className());
    Map<String, Object> config = k.getConfig();
    assertJson(d.className(), config);
    for (Arg<?> a : d.args()) {
      assertTrue(config.containsKey(a.key()), d.className() + " writes `" + a.key() + "`");
    }
    KerasObject again = Registry.fromConfig(kind, d.className(), config);
    assertEquals(config, again.getConfig(), "config round trip of " + d.className());
    Map<String, Object> serialized = Registry.serialize(kind, k);
    assertEquals(kind.module(), serialized.get("module"));
    assertNull(serialized.get("registered_name"), "a built-in has no registered name");
    KerasObject back = Registry.deserialize(kind, serialized);
    assertEquals(config, back.getConfig(), "serialize/deserialize of " + d.className());

    // Each declared argument, changed on its own, is read and written back.
    for (Arg<?> a : d.args()) {
      for (Object changed : changedValues(a, config.get(a.key()))) {
        Map<String, Object> c = new LinkedHashMap<>(config);
        c.put(a.key(), changed);
        KerasObject o;
        try {
          o = Registry.fromConfig(kind, d.className(), c);
        } catch (ArgumentException crossCheck) {
          continue; // valid alone, not with the others (boundaries and values)
        }
        assertEquals(
            written(a, changed),
            o.getConfig().get(a.key()),
            d.className() + " reads and writes `" + a.key() + "` = " + changed);
        break;
      }
    }
  }

  /**
   * The candidates the argument accepts whose config form differs from {@code current}; none for an
   * argument that takes only its default (use_ema, the cross-entropies' axis).
   */
  private static List<Object> changedValues(Arg<?> a, Object current) {
    List<Object> out = new ArrayList<>();
    for (Object c : CANDIDATES) {
      try {
        if (!written(a, c).equals(current)) {
          out.add(c);
        }
      } catch (IllegalArgumentException | KilnException rejected) {
        // not a value of this argument
      }
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static Object written(Arg<?> a, Object json) {
    Arg<Object> raw = (Arg<Object>) a;
    return raw.write(raw.read(json, "test"));
  }

  private static void assertJson(String where, Object v) {
    if (v == null || v instanceof String || v instanceof Boolean || v instanceof Number) {
      return;
    }
    if (v instanceof List<?> l) {
      l.forEach(x -> assertJson(where, x));
      return;
    }
    if (v instanceof Map<?, ?> m) {
      m.forEach(
          (key, x) -> {
            assertInstanceOf(String.class, key, where);
            assertJson(where + "." + key, x);
          });
      return;
    }
    throw new AssertionError(where + " holds " + v.getClass().getName() + ", not a JSON value");
  }

  // ---------------------------------------------------------------- errors

  @Test
  void unknownNamesNameTheNearestOnes() {
    String[][] cases = {
      {"ACTIVATION", "rellu", "`relu`"},
      {"LOSS", "mean_squared_eror", "`mean_squared_error`"},
      {"METRIC", "acuracy", "`accuracy`"},
      {"OPTIMIZER", "adamm", "`adam`"},
      {"SCHEDULE", "CosineDecy", "`cosinedecay`"},
      {"INITIALIZER", "glorot_unifrom", "`glorot_uniform`"},
      {"REGULARIZER", "l3", "`l1`"},
      {"CONSTRAINT", "max_nrm", "`max_norm`"},
    };
    for (String[] c : cases) {
      Kind kind = Kind.valueOf(c[0]);
      KilnException e = assertThrows(KilnException.class, () -> Registry.get(kind, c[1]));
      assertTrue(
          e.getMessage().startsWith("Unknown " + kind.noun() + " '" + c[1] + "'")
              && e.getMessage().toLowerCase(java.util.Locale.ROOT).contains(c[2]),
          e.getMessage());
    }
    KilnException prefix = assertThrows(KilnException.class, () -> Initializers.get("glorot"));
    // Nothing is within the edit distance; the names it starts are suggested.
    assertTrue(
        prefix.getMessage().toLowerCase(java.util.Locale.ROOT).contains("did you mean `glorot"),
        prefix.getMessage());
  }

  @Test
  void wrongTypesNameTheObjectAndTheKey() {
    ArgumentException lr =
        assertThrows(
            ArgumentException.class,
            () -> Optimizers.fromConfig("Adam", Map.of("learning_rate", "0.1")));
    assertEquals(
        "optimizer 'Adam': `learning_rate` must be a number >= 0 or a learning rate schedule,"
            + " got \"0.1\"",
        lr.getMessage());
    ArgumentException named =
        assertThrows(
            ArgumentException.class,
            () ->
                Optimizers.deserialize(
                    Map.of(
                        "class_name", "SGD", "config", Map.of("name", "opt_1", "momentum", 1.5))));
    assertEquals(
        "optimizer 'opt_1': `momentum` must be a number between 0 and 1, got 1.5",
        named.getMessage());
    ArgumentException logits =
        assertThrows(
            ArgumentException.class,
            () -> Losses.fromConfig("binary_crossentropy", Map.of("from_logits", "true")));
    assertEquals(
        "loss 'binary_crossentropy': `from_logits` must be a boolean, got \"true\"",
        logits.getMessage());
    ArgumentException scale =
        assertThrows(
            ArgumentException.class,
            () ->
                Initializers.deserialize(
                    Map.of("class_name", "VarianceScaling", "config", Map.of("scale", -1))));
    assertEquals(
        "initializer 'VarianceScaling': `scale` must be a number > 0, got -1", scale.getMessage());
    ArgumentException k =
        assertThrows(
            ArgumentException.class,
            () -> Metrics.fromConfig("top_k_categorical_accuracy", Map.of("k", 2.5)));
    assertTrue(
        k.getMessage().startsWith("metric 'top_k_categorical_accuracy': `k` must be a positive"),
        k.getMessage());
    ArgumentException unknownKey =
        assertThrows(
            ArgumentException.class, () -> Losses.fromConfig("Huber", Map.of("delt", 2.0)));
    assertTrue(
        unknownKey.getMessage().startsWith("loss 'Huber': unknown argument `delt` for Huber")
            && unknownKey.getMessage().contains("`delta`"),
        unknownKey.getMessage());
    ArgumentException regularizer =
        assertThrows(
            ArgumentException.class, () -> Regularizers.fromConfig("l2", Map.of("l2", -1)));
    assertEquals("regularizer 'l2': `l2` must be a number >= 0, got -1", regularizer.getMessage());
    ArgumentException unsupported =
        assertThrows(
            ArgumentException.class, () -> Optimizers.fromConfig("adam", Map.of("use_ema", true)));
    assertTrue(unsupported.getMessage().contains("`use_ema` must be false"));
  }

  @Test
  void buildersCheckThroughTheDeclaration() {
    ArgumentException delta =
        assertThrows(ArgumentException.class, () -> new Losses.Huber().delta(-1));
    assertEquals("loss 'huber_loss': `delta` must be a number > 0, got -1", delta.getMessage());
    ArgumentException lr = assertThrows(ArgumentException.class, () -> new SGD(-0.1));
    assertEquals(
        "optimizer 'SGD': `learning_rate` must be a number >= 0 or a learning rate schedule, got"
            + " -0.1",
        lr.getMessage());
    ArgumentException eps = assertThrows(ArgumentException.class, () -> new Adam().epsilon(0));
    assertEquals("optimizer 'adam': `epsilon` must be a number > 0, got 0", eps.getMessage());
    ArgumentException smoothing =
        assertThrows(
            ArgumentException.class,
            () -> new Losses.CategoricalCrossentropy().labelSmoothing(1.5));
    assertEquals(
        "loss 'categorical_crossentropy': `label_smoothing` must be a number between 0 and 1,"
            + " got 1.5",
        smoothing.getMessage());
    assertThrows(ArgumentException.class, () -> Constraints.maxNorm(-2));
    assertThrows(ArgumentException.class, () -> new Metrics.BinaryAccuracy("acc", 1.0));
    assertThrows(ArgumentException.class, () -> new SGD(0.1).clipnorm(1).globalClipnorm(1));
  }

  // ---------------------------------------------------------------- nested objects

  @Test
  void aScheduleTravelsInsideTheOptimizersConfig() {
    Optimizer adam = new Adam(Schedules.exponentialDecay(0.1, 10, 0.5, true));
    Map<String, Object> config = adam.getConfig();
    @SuppressWarnings("unchecked")
    Map<String, Object> lr = (Map<String, Object>) config.get("learning_rate");
    assertEquals("ExponentialDecay", lr.get("class_name"));
    assertEquals("keras.optimizers.schedules", lr.get("module"));
    Optimizer back = Optimizers.fromConfig("Adam", config);
    assertEquals(config, back.getConfig());
    assertEquals(0.1 * 0.5, back.schedule().at(10), 1e-12);
    ArgumentException nested =
        assertThrows(
            ArgumentException.class,
            () ->
                Optimizers.fromConfig(
                    "Adam",
                    Map.of(
                        "learning_rate",
                        Map.of(
                            "class_name",
                            "ExponentialDecay",
                            "config",
                            Map.of(
                                "initial_learning_rate", 0.1,
                                "decay_steps", "10",
                                "decay_rate", 0.5)))));
    assertTrue(
        nested.getMessage().startsWith("optimizer 'Adam': `learning_rate` must be")
            && nested
                .getMessage()
                .contains("learning rate schedule 'ExponentialDecay': `decay_steps` must be"),
        nested.getMessage());
  }

  @Test
  void lambdasStayUsableAndWritable() {
    Initializer ones = (shape, dtype) -> HostTensor.zeros(dtype, shape);
    assertEquals("Initializer", Initializers.serialize(ones).get("class_name"));
    Regularizer none = (ops, w) -> ops.scalarLike(0, w);
    assertEquals(none, Regularizers.deserialize(none));
    assertNull(Regularizers.serialize(null));
    assertEquals("L1L2", Regularizers.deserialize("l1_l2").className());
    assertEquals(Map.of("l1", 0.0, "l2", 0.0), Regularizers.deserialize("l1_l2").config());
  }

  // ---------------------------------------------------------------- users' classes

  /** A user's loss: a squared error scaled by a declared factor. */
  public static final class ScaledSquaredError extends Loss {
    static final Arg<Double> FACTOR = Arg.positive("factor", 1.0);

    /** Its declaration. */
    public static final KerasClass<ScaledSquaredError> KERAS =
        KerasClass.of(
                Kind.LOSS,
                "ScaledSquaredError",
                ScaledSquaredError.class,
                a -> new ScaledSquaredError(),
                FACTOR)
            .aliases("scaled_squared_error");

    ScaledSquaredError() {
      super("scaled_squared_error", KERAS);
    }

    @Override
    public Value call(Ops o, Value t, Value p) {
      return o.mul(o.mean(o.square(o.sub(p, t)), false, -1), args().get(FACTOR));
    }
  }

  @Test
  void aUserRegisteredLossIsFoundByName() {
    Registry.register(ScaledSquaredError.KERAS);
    assertInstanceOf(ScaledSquaredError.class, Losses.get("scaled_squared_error"));
    Loss l =
        Losses.deserialize(
            Map.of("class_name", "ScaledSquaredError", "config", Map.of("factor", 3.0)));
    assertEquals(3.0, l.args().get(ScaledSquaredError.FACTOR));
    Map<String, Object> s = Losses.serialize(l);
    assertEquals("ScaledSquaredError", s.get("registered_name"));
    assertEquals(l.getConfig(), Losses.deserialize(s).getConfig());
    ArgumentException bad =
        assertThrows(
            ArgumentException.class,
            () -> Losses.fromConfig("ScaledSquaredError", Map.of("factor", 0)));
    assertEquals(
        "loss 'ScaledSquaredError': `factor` must be a number > 0, got 0", bad.getMessage());
    // A loss name that no metric has is the running mean of the loss.
    Metric m = Metrics.get("scaled_squared_error", null);
    assertEquals("scaled_squared_error", m.name());
    assertEquals("MeanMetricWrapper", m.className());
  }

  @Test
  void accuracyAndCrossentropyResolveAgainstTheLoss() {
    assertInstanceOf(
        Metrics.BinaryAccuracy.class, Metrics.get("accuracy", new Losses.BinaryCrossentropy()));
    assertInstanceOf(
        Metrics.SparseCategoricalAccuracy.class,
        Metrics.get("acc", new Losses.SparseCategoricalCrossentropy()));
    Metric ce = Metrics.get("ce", new Losses.SparseCategoricalCrossentropy());
    assertEquals("SparseCategoricalCrossentropy", ce.className());
    assertEquals("ce", ce.name());
    assertEquals("mse", Metrics.get("mse", null).name());
    assertEquals("MeanSquaredError", Metrics.get("mse", null).className());
  }
}
