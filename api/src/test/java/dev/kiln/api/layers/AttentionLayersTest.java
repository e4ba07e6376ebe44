package dev.kiln.api.layers;

import static dev.kiln.api.layers.LayerTestSupport.runLayerTest;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.KerasTensor;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.LayerTestSupport.Expect;
import dev.kiln.api.layers.LayerTestSupport.LayerCase;
import dev.kiln.api.layers.attention.AdditiveAttention;
import dev.kiln.api.layers.attention.Attention;
import dev.kiln.api.layers.attention.GroupQueryAttention;
import dev.kiln.api.layers.attention.MultiHeadAttention;
import dev.kiln.api.layers.core.EinsumDense;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.core.Masking;
import dev.kiln.api.losses.Losses;
import dev.kiln.api.models.Model;
import dev.kiln.api.optimizers.SGD;
import dev.kiln.spi.DType;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The attention layers and EinsumDense: runLayerTest per layer, a training step on self-attention
 * (runLayerTest trains single-input models only), and golden forward values ({@code
 * golden/tfjs-attn.json}), on every backend.
 */
class AttentionLayersTest {
  private static final List<DType> F2 = List.of(DType.FLOAT32, DType.FLOAT32);
  private static final List<DType> F3 = List.of(DType.FLOAT32, DType.FLOAT32, DType.FLOAT32);

  @TestFactory
  Stream<DynamicTest> runLayerTests() {
    return LayerTestSupport.onEveryBackend(cases());
  }

  @TestFactory
  Stream<DynamicTest> goldenValues() {
    return LayerTestSupport.onEveryBackend(goldenCases());
  }

  /**
   * One train step of {@code layer} as self-attention on {@code (batch, shape)}: every trainable
   * weight must move except those in {@code still}.
   */
  private static void selfAttentionStep(Layer layer, int[] shape, Set<String> still) {
    KerasTensor x = Input.of(shape);
    KerasTensor y = layer.applyAll(List.of(x, x)).get(0);
    Model m = Model.of(x, y);
    int[] b = new int[shape.length + 1];
    b[0] = 3;
    System.arraycopy(shape, 0, b, 1, shape.length);
    Tensor xs = LayerTestSupport.random(DType.FLOAT32, b, 5);
    int[] yb = y.shape().dims();
    yb[0] = 3;
    Tensor ys = LayerTestSupport.random(DType.FLOAT32, yb, 6);
    List<Tensor> before = layer.getWeights();
    m.compile(new SGD(0.1), Losses.get("mse"));
    double loss = m.trainOnBatch(xs, ys).get("loss");
    assertTrue(Double.isFinite(loss), "loss " + loss);
    List<Tensor> after = layer.getWeights();
    for (int i = 0; i < before.size(); i++) {
      Weight w = layer.weights().get(i);
      if (w.trainable() && !still.contains(w.path())) {
        assertFalse(before.get(i).equals(after.get(i)), w.path() + " did not move in a train step");
      }
    }
  }

  private static LayerCase twoInputs(
      String name,
      Supplier<Layer> f,
      int weights,
      int[] outShape,
      int[] selfShape,
      String... still) {
    return new LayerCase(
        name,
        () -> {
          runLayerTest(
              f,
              List.of(new int[] {3, 4}, new int[] {5, 4}),
              F2,
              new Expect(outShape, weights, false));
          if (weights > 0) {
            Layer l = f.get();
            Set<String> keep = new java.util.HashSet<>();
            for (String s : still) {
              keep.add(l.name() + "/" + s);
            }
            selfAttentionStep(l, selfShape, keep);
          }
        });
  }

  /** A runLayerTest case per layer of the family. */
  static List<LayerCase> cases() {
    int[] self = {4, 4};
    return List.of(
        twoInputs("Attention", Attention::new, 0, new int[] {3, 4}, self),
        twoInputs(
            "Attention [use_scale, concat, causal]",
            () -> new Attention().useScale(true).scoreMode("concat").useCausalMask(true),
            2,
            new int[] {3, 4},
            self),
        twoInputs("AdditiveAttention", AdditiveAttention::new, 1, new int[] {3, 4}, self),
        // The key bias adds the same amount to every score of a query, which the softmax cancels:
        // its gradient is zero, as in Keras.
        twoInputs(
            "MultiHeadAttention",
            () -> new MultiHeadAttention(2, 3),
            8,
            new int[] {3, 4},
            self,
            "key/bias"),
        twoInputs(
            "MultiHeadAttention [value_dim, output_shape, causal, no bias]",
            () ->
                new MultiHeadAttention(2, 3)
                    .valueDim(2)
                    .outputShape(6)
                    .useBias(false)
                    .useCausalMask(true),
            4,
            new int[] {3, 6},
            self),
        new LayerCase(
            "MultiHeadAttention [query, value, key]",
            () ->
                runLayerTest(
                    () -> new MultiHeadAttention(2, 3),
                    List.of(new int[] {3, 4}, new int[] {5, 6}, new int[] {5, 2}),
                    F3,
                    new Expect(new int[] {3, 4}, 8, false))),
        twoInputs(
            "GroupQueryAttention",
            () -> new GroupQueryAttention(3, 4, 2),
            8,
            new int[] {3, 4},
            self,
            "key/bias"),
        new LayerCase(
            "EinsumDense",
            () ->
                runLayerTest(
                    () -> new EinsumDense("abc,cde->abde", -1, 2, 3).biasAxes("de"),
                    new int[] {3, 4},
                    new Expect(new int[] {3, 2, 3}, 2, true))),
        new LayerCase(
            "EinsumDense [...b,bc->...c]",
            () ->
                runLayerTest(
                    () -> new EinsumDense("...b,bc->...c", 5).biasAxes("c").activation("tanh"),
                    new int[] {2, 4},
                    new Expect(new int[] {2, 5}, 2, true))),
        new LayerCase(
            "EinsumDense [ab...,bc->ac...]",
            () ->
                runLayerTest(
                    () -> new EinsumDense("ab...,bc->ac...", 5, 2),
                    new int[] {4, 2},
                    new Expect(new int[] {5, 2}, 1, true))));
  }

  private static LayerCase golden(
      String name,
      Supplier<Layer> factory,
      java.util.function.BiFunction<Layer, List<KerasTensor>, List<KerasTensor>> wire) {
    return new LayerCase(
        name + " [golden]",
        () -> {
          Layer layer = factory.get();
          AttnGolden.check(name, layer, ins -> wire.apply(layer, ins));
        });
  }

  private static List<KerasTensor> plain(Layer l, List<KerasTensor> ins) {
    return l.applyAll(ins);
  }

  /** Each golden case of this family. */
  static List<LayerCase> goldenCases() {
    List<LayerCase> out = new ArrayList<>();
    out.add(
        golden(
            "Attention dot use_scale masks",
            () -> new Attention().useScale(true).returnAttentionScores(true),
            (l, ins) ->
                l.applyAll(
                    List.of(
                        new Masking().apply(ins.get(0)),
                        new Masking().apply(ins.get(1)),
                        ins.get(2)))));
    out.add(
        golden(
            "Attention concat use_scale causal",
            () ->
                new Attention()
                    .useScale(true)
                    .scoreMode("concat")
                    .useCausalMask(true)
                    .returnAttentionScores(true),
            AttentionLayersTest::plain));
    out.add(
        golden(
            "AdditiveAttention value mask",
            () -> new AdditiveAttention().returnAttentionScores(true),
            (l, ins) -> l.applyAll(List.of(ins.get(0), new Masking().apply(ins.get(1))))));
    out.add(
        golden(
            "MultiHeadAttention causal value_dim 4 key_dim 3",
            () ->
                new MultiHeadAttention(2, 3)
                    .valueDim(4)
                    .useCausalMask(true)
                    .returnAttentionScores(true),
            AttentionLayersTest::plain));
    out.add(
        golden(
            "MultiHeadAttention attention_mask output_shape 6",
            () ->
                new MultiHeadAttention(2, 3)
                    .valueDim(2)
                    .outputShape(6)
                    .withAttentionMask(true)
                    .returnAttentionScores(true),
            AttentionLayersTest::plain));
    out.add(
        golden(
            "GroupQueryAttention causal 4 query heads 2 kv heads",
            () -> new GroupQueryAttention(3, 4, 2).useCausalMask(true).returnAttentionScores(true),
            AttentionLayersTest::plain));
    out.add(
        golden(
            "EinsumDense ...b,bc->...c relu",
            () -> new EinsumDense("...b,bc->...c", 5).biasAxes("c").activation("relu"),
            AttentionLayersTest::plain));
    out.add(
        golden(
            "EinsumDense abc,cde->abde bias d",
            () -> new EinsumDense("abc,cde->abde", -1, 2, 5).biasAxes("d"),
            AttentionLayersTest::plain));
    return out;
  }

  @Test
  void groupQueryAttentionAlsoReadsKerasPythonClassName() {
    java.util.Map<String, Object> c = new java.util.HashMap<>();
    c.put("head_dim", 4);
    c.put("num_query_heads", 4);
    c.put("num_key_value_heads", 2);
    assertEquals("GroupQueryAttention", Layers.fromConfig("GroupedQueryAttention", c).className());
  }

  @Test
  void multiHeadAttentionHasKerasWeightNamesAndShapes() {
    MultiHeadAttention mha = new MultiHeadAttention(2, 3).valueDim(4);
    mha.applyAll(List.of(Input.of(4, 5), Input.of(6, 7)));
    List<String> got = new ArrayList<>();
    for (Weight w : mha.weights()) {
      got.add(w.name() + java.util.Arrays.toString(w.type().shape().dims()));
    }
    assertEquals(
        List.of(
            "kernel[5, 2, 3]",
            "bias[2, 3]",
            "kernel[7, 2, 3]",
            "bias[2, 3]",
            "kernel[7, 2, 4]",
            "bias[2, 4]",
            "kernel[2, 4, 5]",
            "bias[5]"),
        got);
    assertEquals("query", mha.queryDense().name());
    assertEquals(mha.name() + "/query/kernel", mha.weights().get(0).path());
    assertEquals("attention_output", mha.outputDense().name());
    assertEquals(5 * 6 + 6 + 7 * 6 + 6 + 7 * 8 + 8 + 8 * 5 + 5, mha.countParams());
  }

  @Test
  void groupQueryAttentionHasKerasWeightShapes() {
    GroupQueryAttention g = new GroupQueryAttention(3, 4, 2);
    g.applyAll(List.of(Input.of(4, 5), Input.of(6, 7)));
    List<String> got = new ArrayList<>();
    for (Weight w : g.weights()) {
      got.add(
          w.path().substring(w.path().indexOf('/') + 1)
              + java.util.Arrays.toString(w.type().shape().dims()));
    }
    assertEquals(
        List.of(
            "query/kernel[5, 4, 3]",
            "query/bias[4, 3]",
            "key/kernel[7, 2, 3]",
            "key/bias[2, 3]",
            "value/kernel[7, 2, 3]",
            "value/bias[2, 3]",
            "attention_output/kernel[4, 3, 5]",
            "attention_output/bias[5]"),
        got);
  }

  @Test
  void badArgumentsAndShapesFail() {
    assertThrows(IllegalArgumentException.class, () -> new GroupQueryAttention(3, 4, 3));
    assertThrows(IllegalArgumentException.class, () -> new MultiHeadAttention(0, 3));
    assertThrows(IllegalArgumentException.class, () -> new Attention().scoreMode("general"));
    assertThrows(IllegalArgumentException.class, () -> new EinsumDense("ab,bc", 3));
    Attention a = new Attention();
    RuntimeException e =
        assertThrows(
            RuntimeException.class, () -> a.applyAll(List.of(Input.of(3, 4), Input.of(5, 2))));
    assertTrue(
        e.getMessage().contains(a.name()) && e.getMessage().contains("(5, 2)")
            || e.getMessage().contains("5, 2"),
        e.getMessage());
  }

  @Test
  void configsRoundTripWithKerasKeys() {
    Map<String, Object> c = new MultiHeadAttention(2, 3).outputShape(6).getConfig();
    for (String k :
        List.of(
            "num_heads",
            "key_dim",
            "value_dim",
            "dropout",
            "use_bias",
            "output_shape",
            "attention_axes",
            "kernel_initializer",
            "bias_initializer")) {
      assertTrue(c.containsKey(k), "MultiHeadAttention config lacks " + k + ": " + c.keySet());
    }
    assertEquals(3, c.get("value_dim"));
    Map<String, Object> e = new EinsumDense("abc,cd->abd", -1, 4).biasAxes("d").getConfig();
    assertEquals(java.util.Arrays.asList(null, 4), e.get("output_shape"));
    assertEquals("abc,cd->abd", e.get("equation"));
  }
}
