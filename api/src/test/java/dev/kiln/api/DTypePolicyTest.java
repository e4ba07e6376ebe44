package dev.kiln.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.initializers.Initializers;
import dev.kiln.api.layers.Layer;
import dev.kiln.api.layers.Layers;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.models.Model;
import dev.kiln.api.models.Models;
import dev.kiln.api.models.Sequential;
import dev.kiln.api.optimizers.LossScaleOptimizer;
import dev.kiln.api.optimizers.SGD;
import dev.kiln.api.registry.ArgumentException;
import dev.kiln.api.saving.ModelFiles;
import dev.kiln.spi.DType;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dtype policies: names, the global default, and configs in Keras 3's and Keras 2's forms. */
class DTypePolicyTest {
  @AfterEach
  void restore() {
    Kiln.setDtypePolicy(DTypePolicy.FLOAT32);
  }

  @Test
  void policiesSplitComputeAndVariableDtypes() {
    assertEquals(
        List.of("float32", "float64", "float16", "bfloat16", "mixed_float16", "mixed_bfloat16"),
        DTypePolicy.names());
    DTypePolicy m = DTypePolicy.of("mixed_float16");
    assertSame(DTypePolicy.MIXED_FLOAT16, m);
    assertEquals(DType.FLOAT16, m.computeDtype());
    assertEquals(DType.FLOAT32, m.variableDtype());
    assertTrue(m.isMixed());
    DTypePolicy b = DTypePolicy.of("mixed_bfloat16");
    assertEquals(DType.BFLOAT16, b.computeDtype());
    assertEquals(DType.FLOAT32, b.variableDtype());
    DTypePolicy h = DTypePolicy.of(DType.FLOAT16);
    assertEquals(DType.FLOAT16, h.variableDtype());
    assertFalse(h.isMixed());
    assertThrows(ArgumentException.class, () -> DTypePolicy.of(DType.INT32));
  }

  @Test
  void anUnknownNameNamesTheLayerAndTheValidNames() {
    ArgumentException e =
        assertThrows(
            ArgumentException.class, () -> new Dense(2).name("head").dtypePolicy("mixed_half"));
    assertEquals(
        "layer 'head': unknown dtype policy 'mixed_half'; the valid policies are float32, float64,"
            + " float16, bfloat16, mixed_float16, mixed_bfloat16",
        e.getMessage());
    assertThrows(ArgumentException.class, () -> Kiln.setDtypePolicy("float8"));
  }

  @Test
  void layersMadeAfterTheGlobalPolicyTakeIt() {
    Dense before = new Dense(2);
    Kiln.setDtypePolicy("mixed_bfloat16");
    Dense after = new Dense(2);
    assertSame(DTypePolicy.FLOAT32, before.dtypePolicy());
    assertSame(DTypePolicy.MIXED_BFLOAT16, after.dtypePolicy());
    assertEquals(DType.FLOAT32, after.dtype(), "Keras's layer.dtype is the variable dtype");
    assertEquals(DType.BFLOAT16, after.computeDtype());
    // Variables in the variable dtype, outputs in the compute dtype.
    KerasTensor y = after.apply(Input.of(3));
    assertEquals(DType.BFLOAT16, y.dtype());
    assertEquals(DType.FLOAT32, after.weights().get(0).type().dtype());
  }

  @Test
  void clearSessionPutsTheGlobalPolicyBackToFloat32() {
    Kiln.setDtypePolicy("mixed_float16");
    Kiln.clearSession();
    assertSame(DTypePolicy.FLOAT32, Kiln.dtypePolicy());
    assertSame(DTypePolicy.FLOAT32, new Dense(2).dtypePolicy());
  }

  @Test
  void readsKeras3EnvelopesPlainNamesAndKeras2Policies() {
    Map<String, Object> envelope = DTypePolicy.MIXED_FLOAT16.serialize();
    assertEquals(
        Map.of(
            "module", "keras",
            "class_name", "DTypePolicy",
            "config", Map.of("name", "mixed_float16")),
        Map.of(
            "module", envelope.get("module"),
            "class_name", envelope.get("class_name"),
            "config", envelope.get("config")));
    assertTrue(envelope.containsKey("registered_name"));
    Object keras2 = Map.of("class_name", "Policy", "config", Map.of("name", "mixed_bfloat16"));
    for (Object form : List.of(envelope, "mixed_float16", keras2)) {
      Layer d = Layers.fromConfig("Dense", Map.of("name", "d", "units", 2, "dtype", form));
      DTypePolicy expected =
          form == keras2 ? DTypePolicy.MIXED_BFLOAT16 : DTypePolicy.MIXED_FLOAT16;
      assertSame(expected, d.dtypePolicy(), "from " + form);
      // Written back as Keras 3.4+ writes it (the keras_version Kiln's archives declare).
      assertEquals(expected.serialize(), d.getConfig().get("dtype"));
      Layer again = Layers.fromConfig("Dense", d.getConfig());
      assertSame(expected, again.dtypePolicy());
    }
  }

  @Test
  void aMixedModelRoundTripsThroughItsJsonAndCompilesWithLossScaling() {
    Kiln.setDtypePolicy("mixed_float16");
    Sequential m = new Sequential(Input.of(4), new Dense(3, "relu"), new Dense(2));
    Kiln.setDtypePolicy(DTypePolicy.FLOAT32);
    String json = m.toJson();
    try (Model back = Models.fromJson(json)) {
      assertEquals(json, back.toJson());
      assertSame(DTypePolicy.MIXED_FLOAT16, back.dtypePolicy());
      for (Layer l : back.layers()) {
        if (l instanceof Dense) {
          assertSame(DTypePolicy.MIXED_FLOAT16, l.dtypePolicy(), l.name());
        }
      }
      back.compile("adam", "mse");
      assertInstanceOf(LossScaleOptimizer.class, back.optimizer());
    }
  }

  @Test
  void aSavedMixedModelKeepsItsPoliciesAndLossScale(@TempDir Path dir) throws Exception {
    Kiln.setDtypePolicy("mixed_float16");
    // A fixed start: with a random kernel, the float16 gradient at scale 2^15 may overflow (and
    // halve the scale), which is right but not what this test is about.
    Sequential m =
        new Sequential(
            Input.of(1), new Dense(1).useBias(false).kernelInitializer(Initializers.ones()));
    Kiln.setDtypePolicy(DTypePolicy.FLOAT32);
    m.compile(new LossScaleOptimizer(new SGD(0.1)).dynamicGrowthSteps(2), Losses.get("mse"));
    Tensor x = Tensor.of(new float[] {1, 2}, 2, 1);
    Tensor y = Tensor.of(new float[] {1.1f, 2.2f}, 2, 1);
    for (int i = 0; i < 2; i++) {
      m.trainOnBatch(x, y);
    }
    LossScaleOptimizer saved = (LossScaleOptimizer) m.optimizer();
    assertEquals(65536.0, saved.dynamicScale(), "doubled after 2 finite steps");
    Path file = dir.resolve("mixed.keras");
    m.save(file);
    try (Model back = ModelFiles.load(file)) {
      assertSame(DTypePolicy.MIXED_FLOAT16, back.getLayer(0).dtypePolicy());
      LossScaleOptimizer o = assertInstanceOf(LossScaleOptimizer.class, back.optimizer());
      assertEquals(2, o.iterations(), "the inner step count");
      assertEquals(65536.0, o.dynamicScale(), "the loss scale is optimizer state");
      assertEquals(m.getWeights().get(0).getDouble(0), back.getWeights().get(0).getDouble(0));
    }
  }

  @Test
  void aKeras2ModelWithMixedPoliciesLoads() {
    String keras2 =
        """
        {"class_name": "Sequential", "keras_version": "2.4.0", "backend": "tensorflow",
         "config": {"name": "s", "layers": [
           {"class_name": "Dense", "config": {"name": "d", "units": 2,
             "batch_input_shape": [null, 3],
             "dtype": {"class_name": "Policy", "config": {"name": "mixed_float16"}}}},
           {"class_name": "Activation", "config": {"name": "out", "activation": "softmax",
             "dtype": {"class_name": "Policy", "config": {"name": "float32"}}}}]}}
        """;
    try (Model m = Models.fromJson(keras2)) {
      assertSame(DTypePolicy.MIXED_FLOAT16, m.getLayer("d").dtypePolicy());
      assertSame(DTypePolicy.FLOAT32, m.getLayer("out").dtypePolicy());
      Tensor p = m.predict(Tensor.of(new float[] {1, 2, 3}, 1, 3));
      // The float32 softmax after a float16 layer: Keras's advice for a mixed model's output.
      assertEquals(DType.FLOAT32, p.dtype());
      assertEquals(1.0, p.getDouble(0) + p.getDouble(1), 1e-6);
    }
  }
}
