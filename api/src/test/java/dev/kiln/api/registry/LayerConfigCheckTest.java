package dev.kiln.api.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.DTypePolicy;
import dev.kiln.api.KilnException;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.Layers;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Dropout;
import dev.kiln.api.ops.Ops;
import dev.kiln.spi.DType;
import dev.kiln.spi.ir.Value;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Configs with wrong values are errors that name the layer and the key; the registry finds classes.
 */
class LayerConfigCheckTest {
  private static Map<String, Object> dense(String key, Object value) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("name", "dense_3");
    c.put("units", 8);
    c.put(key, value);
    return c;
  }

  private static String refused(Map<String, Object> config) {
    return assertThrows(ArgumentException.class, () -> Layers.fromConfig("Dense", config))
        .getMessage();
  }

  @Test
  void unitsMustBeAPositiveIntegerInRange() {
    assertEquals(
        "layer 'dense_3': `units` must be a positive integer, got -4", refused(dense("units", -4)));
    assertTrue(refused(dense("units", 8.7)).startsWith("layer 'dense_3': `units`"));
    assertTrue(refused(dense("units", 4294967304L)).contains("`units`"));
    assertTrue(refused(dense("units", 1e10)).contains("`units`"));
    assertTrue(refused(dense("units", "8")).contains("got \"8\""));
    assertEquals(8, ((Dense) Layers.fromConfig("Dense", dense("units", 8.0))).units());
  }

  @Test
  void trainableMustBeABoolean() {
    String m = refused(dense("trainable", "false"));
    assertTrue(m.contains("'dense_3'") && m.contains("`trainable`"), m);
    assertFalse(Layers.fromConfig("Dense", dense("trainable", false)).trainable());
  }

  @Test
  void misspeltKeyNamesTheNearestArgument() {
    Map<String, Object> c = new LinkedHashMap<>(Map.of("name", "dense_3", "untis", 8));
    String m = refused(c);
    assertTrue(m.contains("unknown argument `untis`") && m.contains("`units`"), m);
  }

  @Test
  void dropoutWithoutRateIsAnError() {
    String m =
        assertThrows(
                ArgumentException.class, () -> Layers.fromConfig("Dropout", Map.of("name", "drop")))
            .getMessage();
    assertEquals("layer 'drop': `rate` is required (a number between 0 and 1) but missing", m);
  }

  @Test
  void keysKerasIgnoresAreTolerated() {
    Layer d = Layers.fromConfig("Dense", dense("lora_rank", null));
    assertEquals("dense_3", d.name());
  }

  @Test
  void dtypeIsReadAndWritten() {
    Layer d = Layers.fromConfig("Dense", dense("dtype", "float64"));
    assertEquals(DType.FLOAT64, d.dtype());
    assertEquals(DTypePolicy.of("float64").serialize(), d.getConfig().get("dtype"));
    Map<String, Object> policy =
        Map.of("module", "keras", "class_name", "DTypePolicy", "config", Map.of("name", "float64"));
    assertEquals(DType.FLOAT64, Layers.fromConfig("Dense", dense("dtype", policy)).dtype());
    String unknown = refused(dense("dtype", "mixed_float32"));
    assertTrue(
        unknown.startsWith("layer 'dense_3': unknown dtype policy 'mixed_float32'"), unknown);
    assertTrue(unknown.contains("mixed_float16, mixed_bfloat16"), unknown);
  }

  @Test
  void unknownClassNamesTheNearest() {
    KilnException e =
        assertThrows(KilnException.class, () -> Layers.fromConfig("Dens", Map.of("units", 2)));
    assertTrue(e.getMessage().contains("`Dense`"), e.getMessage());
  }

  @Test
  void builtInLayersAreFoundWithoutAHandWrittenList() {
    for (String n :
        List.of("Dense", "Dropout", "Embedding", "InputLayer", "Add", "Dot", "Normalization")) {
      assertTrue(Layers.classNames().contains(n), n);
    }
    assertEquals(Dropout.KERAS, Registry.declarationOf(Dropout.class));
  }

  /** A user's layer with one declared argument. */
  public static final class Scale extends Layer {
    static final Arg<Double> FACTOR = Arg.positive("factor", 2.0);
    static final KerasClass<Scale> KERAS =
        KerasClass.of(Kind.LAYER, "TestScale", Scale.class, a -> new Scale(), FACTOR);

    @Override
    protected Value call(Ops ops, Value x) {
      return ops.mul(x, args().get(FACTOR));
    }
  }

  @Test
  void usersRegisterTheirOwnClasses() {
    Layers.register(Scale.KERAS);
    Layer s = Layers.fromConfig("TestScale", Map.of("name", "scale_a", "factor", 3.0));
    assertEquals(3.0, s.getConfig().get("factor"));
    String m =
        assertThrows(
                ArgumentException.class,
                () -> Layers.fromConfig("TestScale", Map.of("name", "s", "factor", -1.0)))
            .getMessage();
    assertEquals("layer 's': `factor` must be a number > 0, got -1", m);
  }

  @Test
  void everyBuiltInLivesInItsKindsPackage() {
    // Discovery loads one kind's package at a time, so a declaration elsewhere would be missed.
    for (Kind k : Kind.values()) {
      Registry.classNames(k);
    }
    for (Kind k : Kind.values()) {
      for (KerasClass<?> d : Registry.declarations(k)) {
        if (Registry.builtInClassNames(k).contains(d.className())) {
          assertTrue(
              d.type().getName().startsWith(Registry.packageOf(k)),
              d + " is declared in " + d.type().getName() + ", outside " + Registry.packageOf(k));
        }
      }
    }
  }
}
