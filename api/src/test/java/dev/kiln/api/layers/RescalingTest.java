package dev.kiln.api.layers;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.preprocessing.Rescaling;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import dev.kiln.api.registry.Kind;
import dev.kiln.api.registry.Registry;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Rescaling with one scale and offset, or one per channel, as Keras's. */
class RescalingTest {

  private static Tensor predict(Layer l, Tensor x) {
    int[] d = x.dims();
    KerasTensor in = Input.of(java.util.Arrays.copyOfRange(d, 1, d.length));
    try (Model m = Model.of(List.of(in), l.applyAll(List.of(in)))) {
      return m.predict(List.of(x), new FitOptions().verbose(0)).get(0);
    }
  }

  @Test
  void perChannelScaleAndOffsetApplyAlongTheLastAxis() {
    // 3 rows of 3 channels: scaling along the rows instead of the channels gives other numbers.
    Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9}, 1, 3, 3);
    Rescaling r = new Rescaling(new double[] {1, 10, 100}, new double[] {0, 1, -1});
    assertClose(
        "per-channel rescaling",
        new double[] {1, 21, 299, 4, 51, 599, 7, 81, 899},
        predict(r, x).toDoubleArray(),
        1e-4);
    // One offset for every channel.
    assertClose(
        "per-channel scale, one offset",
        new double[] {1.5, 20.5, 300.5, 4.5, 50.5, 600.5, 7.5, 80.5, 900.5},
        predict(new Rescaling(new double[] {1, 10, 100}, 0.5), x).toDoubleArray(),
        1e-4);
  }

  @Test
  void configWritesAListForPerChannelValuesAndANumberOtherwise() {
    Rescaling r = new Rescaling(new double[] {0.5, 0.25, 2}, 1);
    Map<String, Object> c = r.getConfig();
    assertEquals(List.of(0.5, 0.25, 2.0), c.get("scale"));
    assertEquals(1.0, c.get("offset"));
    Rescaling back = Registry.fromConfig(Kind.LAYER, "Rescaling", new HashMap<>(c));
    assertEquals(c, back.getConfig());
    assertEquals(0.5, new Rescaling(0.5).getConfig().get("scale"));
  }

  @Test
  void scaleOfTheWrongLengthNamesLayerAndShapes() {
    Rescaling r = new Rescaling(new double[] {1, 2}, 0);
    KilnException e = assertThrows(KilnException.class, () -> r.apply(Input.of(4, 4, 3)));
    String m = messages(e);
    assertTrue(m.contains(r.name()), m);
    assertTrue(m.contains("scale has 2 values"), m);
    assertTrue(m.contains("3 channels"), m);
  }

  private static String messages(Throwable t) {
    StringBuilder b = new StringBuilder();
    for (Throwable c = t; c != null; c = c.getCause()) {
      b.append(c.getMessage()).append(" / ");
    }
    return b.toString();
  }

  @Test
  void configWithANonNumberScaleIsRefusedNamingTheKey() {
    Map<String, Object> c = new HashMap<>();
    c.put("scale", List.of(1.0, "two"));
    RuntimeException e =
        assertThrows(RuntimeException.class, () -> Registry.fromConfig(Kind.LAYER, "Rescaling", c));
    assertTrue(e.getMessage().contains("scale"), e.getMessage());
  }
}
