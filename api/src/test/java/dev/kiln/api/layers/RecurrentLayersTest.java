package dev.kiln.api.layers;

import static dev.kiln.api.ApiTestSupport.assertClose;
import static dev.kiln.api.layers.LayerTestSupport.runLayerTest;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.api.ApiTestSupport;
import dev.kiln.api.GoldenJson;
import dev.kiln.api.KerasTensor;
import dev.kiln.api.KilnException;
import dev.kiln.api.Tensor;
import dev.kiln.api.layers.LayerTestSupport.Expect;
import dev.kiln.api.layers.LayerTestSupport.LayerCase;
import dev.kiln.api.layers.core.Dense;
import dev.kiln.api.layers.core.Embedding;
import dev.kiln.api.layers.core.Input;
import dev.kiln.api.layers.core.InputLayer;
import dev.kiln.api.layers.rnn.Bidirectional;
import dev.kiln.api.layers.rnn.ConvLSTM2D;
import dev.kiln.api.layers.rnn.GRU;
import dev.kiln.api.layers.rnn.GRUCell;
import dev.kiln.api.layers.rnn.LSTM;
import dev.kiln.api.layers.rnn.LSTMCell;
import dev.kiln.api.layers.rnn.RNN;
import dev.kiln.api.layers.rnn.SimpleRNN;
import dev.kiln.api.layers.rnn.SimpleRNNCell;
import dev.kiln.api.layers.rnn.StackedRNNCells;
import dev.kiln.api.layers.rnn.TimeDistributed;
import dev.kiln.api.models.FitOptions;
import dev.kiln.api.models.Model;
import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The recurrent layers: runLayerTest for each, then forward values against TF.js 4.22 ({@code
 * golden/tfjs-rnn.json}, from {@code src/test/golden/make_golden_rnn.js}) on both backends.
 */
class RecurrentLayersTest {
  private static final Map<String, Object> GOLDEN = GoldenJson.resource("/golden/tfjs-rnn.json");
  private static final int T = 5;
  private static final int F = 3;
  private static final int U = 4;

  private static Expect out(int weights, int... shape) {
    return new Expect(shape, weights, true);
  }

  // A cell on its own runs one step from zero states, where the recurrent kernel has no gradient;
  // the RNN cases train the cells.
  private static Expect noTrain(int weights, int... shape) {
    return new Expect(shape, weights, false);
  }

  @TestFactory
  Stream<DynamicTest> runLayerTests() {
    return LayerTestSupport.onEveryBackend(cases());
  }

  @TestFactory
  Stream<DynamicTest> goldenForwardValues() {
    return LayerTestSupport.onEveryBackend(goldenCases());
  }

  /** A runLayerTest case per recurrent layer and variant. */
  static List<LayerCase> cases() {
    int[] seq = {T, F};
    int[] step = {F};
    return List.of(
        new LayerCase("SimpleRNN", () -> runLayerTest(() -> new SimpleRNN(U), seq, out(3, U))),
        new LayerCase(
            "LSTM [return_sequences]",
            () -> runLayerTest(() -> new LSTM(U).returnSequences(true), seq, out(3, T, U))),
        new LayerCase(
            "LSTM [dropout, recurrent_dropout, return_state]",
            () ->
                runLayerTest(
                    () -> new LSTM(U).dropout(0.3).recurrentDropout(0.3).returnState(true),
                    seq,
                    out(3, U))),
        new LayerCase("GRU", () -> runLayerTest(() -> new GRU(U), seq, out(3, U))),
        new LayerCase(
            "GRU [reset_after false, go_backwards, return_sequences]",
            () ->
                runLayerTest(
                    () -> new GRU(U).resetAfter(false).goBackwards(true).returnSequences(true),
                    seq,
                    out(3, T, U))),
        new LayerCase(
            "RNN [LSTMCell]", () -> runLayerTest(() -> new RNN(new LSTMCell(U)), seq, out(3, U))),
        new LayerCase(
            "RNN [stacked SimpleRNNCell, GRUCell]",
            () ->
                runLayerTest(
                    () ->
                        new RNN(List.of(new SimpleRNNCell(U), new GRUCell(2)))
                            .returnSequences(true),
                    seq,
                    out(6, T, 2))),
        new LayerCase(
            "SimpleRNNCell", () -> runLayerTest(() -> new SimpleRNNCell(U), step, noTrain(3, U))),
        new LayerCase("LSTMCell", () -> runLayerTest(() -> new LSTMCell(U), step, noTrain(3, U))),
        new LayerCase("GRUCell", () -> runLayerTest(() -> new GRUCell(U), step, noTrain(3, U))),
        new LayerCase(
            "StackedRNNCells",
            () ->
                runLayerTest(
                    () -> new StackedRNNCells(List.of(new LSTMCell(U), new SimpleRNNCell(2))),
                    step,
                    noTrain(6, 2))),
        new LayerCase(
            "Bidirectional [LSTM, concat]",
            () ->
                runLayerTest(
                    () -> new Bidirectional(new LSTM(U).returnSequences(true)),
                    seq,
                    out(6, T, 2 * U))),
        new LayerCase(
            "Bidirectional [GRU, ave]",
            () ->
                runLayerTest(() -> new Bidirectional(new GRU(U)).mergeMode("ave"), seq, out(6, U))),
        new LayerCase(
            "ConvLSTM2D",
            () ->
                runLayerTest(() -> new ConvLSTM2D(2, 3), new int[] {3, 5, 5, 2}, out(3, 3, 3, 2))),
        new LayerCase(
            "ConvLSTM2D [same, strides 2, return_sequences, channels_first]",
            () ->
                runLayerTest(
                    () ->
                        new ConvLSTM2D(2, 3)
                            .padding("same")
                            .strides(2)
                            .returnSequences(true)
                            .dataFormat("channels_first"),
                    new int[] {3, 2, 5, 5},
                    out(3, 3, 2, 3, 3))),
        new LayerCase(
            "TimeDistributed [Dense]",
            () -> runLayerTest(() -> new TimeDistributed(new Dense(2)), seq, out(2, T, 2))));
  }

  // ---------------------------------------------------------------- golden values

  static List<LayerCase> goldenCases() {
    List<LayerCase> out = new ArrayList<>();
    out.add(floatGolden("simple_rnn_sequences", () -> new SimpleRNN(U).returnSequences(true)));
    out.add(floatGolden("simple_rnn_backwards_last", () -> new SimpleRNN(U).goBackwards(true)));
    out.add(floatGolden("lstm_state", () -> new LSTM(U).returnState(true)));
    out.add(
        floatGolden(
            "lstm_backwards_sequences", () -> new LSTM(U).returnSequences(true).goBackwards(true)));
    out.add(
        floatGolden(
            "gru_reset_before_sequences",
            () -> new GRU(U).resetAfter(false).returnSequences(true).returnState(true)));
    out.add(
        floatGolden("gru_reset_after", () -> new GRU(U).returnSequences(true).returnState(true)));
    out.add(
        floatGolden(
            "gru_reset_after_backwards",
            () -> new GRU(U).returnSequences(true).goBackwards(true).returnState(true)));
    out.add(maskedGolden("lstm_masked_sequences", () -> new LSTM(U).returnSequences(true)));
    out.add(maskedGolden("gru_masked_last", () -> new GRU(U).resetAfter(false).goBackwards(true)));
    out.add(maskedGolden("simple_rnn_masked_state", () -> new SimpleRNN(U).returnState(true)));
    out.add(
        floatGolden(
            "bidirectional_lstm_concat",
            () -> new Bidirectional(new LSTM(U).returnSequences(true))));
    out.add(
        floatGolden(
            "bidirectional_gru_sum",
            () -> new Bidirectional(new GRU(U).resetAfter(false)).mergeMode("sum")));
    out.add(floatGolden("time_distributed_dense", () -> new TimeDistributed(new Dense(2, "tanh"))));
    out.add(
        convGolden(
            "conv_lstm_same_sequences",
            () -> new ConvLSTM2D(2, 3).padding("same").returnSequences(true)));
    out.add(
        convGolden(
            "conv_lstm_strided_state",
            () -> new ConvLSTM2D(3, new int[] {2, 3}).strides(2).returnState(true)));
    return out;
  }

  private static LayerCase convGolden(String name, Supplier<Layer> factory) {
    return new LayerCase(
        "golden " + name,
        () -> {
          Map<String, Object> g = golden(name);
          Layer layer = factory.get();
          KerasTensor in = Input.of(3, 5, 5, 2);
          Model model = Model.of(List.of(in), layer.applyAll(List.of(in)));
          layer.setWeights(tensors(g.get("weights")));
          compare(name, g, model.predict(List.of(nested(g.get("input"))), quiet()));
        });
  }

  private static Map<String, Object> golden(String name) {
    return GoldenJson.obj(GOLDEN, name);
  }

  private static LayerCase floatGolden(String name, Supplier<Layer> factory) {
    return new LayerCase(
        "golden " + name,
        () -> {
          Map<String, Object> g = golden(name);
          Layer layer = factory.get();
          KerasTensor in = Input.of(T, F);
          Model model = Model.of(List.of(in), layer.applyAll(List.of(in)));
          layer.setWeights(tensors(g.get("weights")));
          List<Tensor> y = model.predict(List.of(nested(g.get("input"))), quiet());
          compare(name, g, y);
        });
  }

  private static LayerCase maskedGolden(String name, Supplier<Layer> factory) {
    return new LayerCase(
        "golden " + name,
        () -> {
          Map<String, Object> g = golden(name);
          Layer layer = factory.get();
          Embedding embedding = new Embedding(10, F).maskZero(true);
          KerasTensor in = Input.of(DType.INT32, T);
          Model model = Model.of(List.of(in), layer.applyAll(List.of(embedding.apply(in))));
          embedding.setWeights(tensors(g.get("embedding")));
          layer.setWeights(tensors(g.get("weights")));
          Tensor ids = nested(g.get("ids")).cast(DType.INT32);
          compare(name, g, model.predict(List.of(ids), quiet()));
        });
  }

  private static FitOptions quiet() {
    return new FitOptions().verbose(0);
  }

  private static void compare(String name, Map<String, Object> g, List<Tensor> actual) {
    List<Tensor> expected = tensors(g.get("outputs"));
    assertEquals(expected.size(), actual.size(), name + ": number of outputs");
    for (int i = 0; i < expected.size(); i++) {
      assertArrayEquals(expected.get(i).dims(), actual.get(i).dims(), name + " output " + i);
      assertClose(
          name + " output " + i,
          expected.get(i).toDoubleArray(),
          actual.get(i).toDoubleArray(),
          1e-5);
    }
  }

  private static List<Tensor> tensors(Object list) {
    List<Tensor> out = new ArrayList<>();
    for (Object o : (List<?>) list) {
      out.add(nested(o));
    }
    return out;
  }

  /** A float tensor from nested JSON lists, its shape from the nesting. */
  static Tensor nested(Object v) {
    List<Integer> shape = new ArrayList<>();
    Object cur = v;
    while (cur instanceof List<?> l) {
      shape.add(l.size());
      cur = l.get(0);
    }
    List<Double> flat = new ArrayList<>();
    flatten(v, flat);
    float[] f = new float[flat.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = flat.get(i).floatValue();
    }
    return Tensor.of(f, shape.stream().mapToInt(Integer::intValue).toArray());
  }

  private static void flatten(Object v, List<Double> out) {
    if (v instanceof List<?> l) {
      for (Object o : l) {
        flatten(o, out);
      }
    } else {
      out.add(((Number) v).doubleValue());
    }
  }

  // ---------------------------------------------------------------- structure and errors

  @Test
  void weightsHaveKerasNamesShapesAndOrder() {
    LSTM lstm = new LSTM(U);
    lstm.apply(Input.of(T, F));
    assertEquals(
        List.of("kernel", "recurrent_kernel", "bias"),
        lstm.weights().stream().map(Weight::name).toList());
    assertEquals("lstm_cell/kernel", lstm.weights().get(0).path());
    assertArrayEquals(new int[] {F, 4 * U}, lstm.weights().get(0).type().shape().dims());
    assertArrayEquals(new int[] {U, 4 * U}, lstm.weights().get(1).type().shape().dims());
    assertArrayEquals(new int[] {4 * U}, lstm.weights().get(2).type().shape().dims());
    // unit_forget_bias: the f block starts at 1, the others at 0
    double[] bias = lstm.getWeights().get(2).toDoubleArray();
    for (int j = 0; j < 4 * U; j++) {
      assertEquals(j >= U && j < 2 * U ? 1.0 : 0.0, bias[j], "bias[" + j + "]");
    }
    GRU gru = new GRU(U);
    gru.apply(Input.of(T, F));
    assertArrayEquals(new int[] {2, 3 * U}, gru.weights().get(2).type().shape().dims());
    GRU v1 = new GRU(U).resetAfter(false);
    v1.apply(Input.of(T, F));
    assertArrayEquals(new int[] {3 * U}, v1.weights().get(2).type().shape().dims());
    Bidirectional bi = new Bidirectional(new SimpleRNN(U).name("rnn"));
    bi.apply(Input.of(T, F));
    assertEquals(6, bi.weights().size());
    assertEquals("forward_rnn", bi.forwardLayer().name());
    assertEquals("backward_rnn", bi.backwardLayer().name());
    assertTrue(bi.backwardLayer().goBackwards());
  }

  @Test
  void returnStateGivesTheFinalStates() {
    List<KerasTensor> outs = new LSTM(U).returnState(true).applyAll(List.of(Input.of(T, F)));
    assertEquals(3, outs.size());
    for (KerasTensor t : outs) {
      assertEquals(2, t.shape().rank());
      assertEquals(U, t.shape().dim(1));
    }
  }

  @Test
  void initialStatesComeAsFurtherInputs() {
    KerasTensor x = Input.of(T, F);
    KerasTensor h0 = Input.of(U);
    KerasTensor c0 = Input.of(U);
    LSTM lstm = new LSTM(U);
    Model model = Model.of(List.of(x, h0, c0), List.of(lstm.apply(x, h0, c0)));
    Tensor xs = LayerTestSupport.random(DType.FLOAT32, new int[] {2, T, F}, 1);
    Tensor zeros = Tensor.zeros(DType.FLOAT32, 2, U);
    Tensor ones = Tensor.of(new float[] {1, 1, 1, 1, 1, 1, 1, 1}, 2, U);
    Tensor fromZeros = model.predict(List.of(xs, zeros, zeros), quiet()).get(0);
    Tensor fromOnes = model.predict(List.of(xs, ones, ones), quiet()).get(0);
    // zero initial states are the default, so the same layer without them agrees
    Model plain = Model.of(List.of(x), List.of(lstm.apply(x)));
    assertClose(
        "zero initial states",
        plain.predict(List.of(xs), quiet()).get(0).toDoubleArray(),
        fromZeros.toDoubleArray(),
        1e-6);
    assertTrue(
        Math.abs(fromOnes.toDoubleArray()[0] - fromZeros.toDoubleArray()[0]) > 1e-4,
        "the initial state changes the output");
    KilnException e = assertThrows(KilnException.class, () -> new LSTM(U).apply(x, Input.of(U)));
    assertTrue(e.getMessage().contains("2 states"), e.getMessage());
  }

  @Test
  void badArgumentsAndShapesFailWithMessages() {
    assertThrows(IllegalArgumentException.class, () -> new LSTM(0));
    assertThrows(IllegalArgumentException.class, () -> new GRU(U).dropout(1.5));
    assertThrows(IllegalArgumentException.class, () -> new Bidirectional(new Dense(3)));
    assertThrows(
        IllegalArgumentException.class, () -> new Bidirectional(new LSTM(2)).mergeMode("max"));
    KilnException e = assertThrows(KilnException.class, () -> new LSTM(U).apply(Input.of(F)));
    assertTrue(e.getMessage().contains("lstm"), e.getMessage());
  }

  @Test
  void theGoldenDataTellsResetAfterFromResetBefore() {
    Map<String, Object> g = golden("gru_reset_after");
    double[] right = nested(((List<?>) g.get("outputs")).get(0)).toDoubleArray();
    double[] wrong = nested(g.get("near_miss_reset_before")).toDoubleArray();
    double diff = 0;
    for (int i = 0; i < right.length; i++) {
      diff = Math.max(diff, Math.abs(right[i] - wrong[i]));
    }
    assertTrue(diff > 1e-2, "reset_after and reset-before differ by only " + diff);
  }

  @TestFactory
  Stream<DynamicTest> lstmKernelGradientMatchesFiniteDifferences() {
    return LayerTestSupport.onEveryBackend(
        List.of(new LayerCase("LSTM [float64 gradient]", RecurrentLayersTest::checkLstmGradient)));
  }

  /**
   * The gradient of {@code sum(c * lstm(x))} with respect to the kernel, through the scan's reverse
   * loop, against central differences of the forward pass, in float64.
   */
  private static void checkLstmGradient() {
    int units = 3;
    LSTM lstm = new LSTM(units).returnSequences(true);
    lstm.dtype(DType.FLOAT64);
    HostTensor x = randomDouble(new int[] {2, 4, 2}, 5);
    HostTensor c = randomDouble(new int[] {2, 4, units}, 6);
    List<HostTensor> r =
        ApiTestSupport.run(
            (o, in) -> {
              Value loss = o.sumAll(o.mul(lstm.trace(o, in.get(0)), in.get(1)));
              Value kernel = o.read(lstm.weights().get(0));
              return List.of(loss, o.gradients(loss, List.of(kernel)).get(0));
            },
            List.of(x, c));
    double[] grad = r.get(1).toDoubleArray();
    List<Tensor> weights = lstm.getWeights();
    double[] kernel = weights.get(0).toDoubleArray();
    double h = 1e-6;
    // Entries in each gate block: i, f, c, o of input 0, and o of input 1.
    for (int index :
        new int[] {0, units + 1, 2 * units + 2, 3 * units, 4 * units + 3 * units + 1}) {
      double keep = kernel[index];
      kernel[index] = keep + h;
      double up = lstmLoss(lstm, weights, kernel, x, c);
      kernel[index] = keep - h;
      double down = lstmLoss(lstm, weights, kernel, x, c);
      kernel[index] = keep;
      assertClose("dLoss/dkernel[" + index + "]", (up - down) / (2 * h), grad[index], 1e-6);
    }
    lstm.setWeights(weights);
  }

  private static double lstmLoss(
      LSTM lstm, List<Tensor> weights, double[] kernel, HostTensor x, HostTensor c) {
    HostTensor k = HostTensor.zeros(DType.FLOAT64, weights.get(0).shape());
    for (int i = 0; i < kernel.length; i++) {
      k.setDouble(i, kernel[i]);
    }
    lstm.setWeights(List.of(Tensor.wrap(k), weights.get(1), weights.get(2)));
    return ApiTestSupport.run(
            (o, in) -> List.of(o.sumAll(o.mul(lstm.trace(o, in.get(0)), in.get(1)))), List.of(x, c))
        .get(0)
        .getDouble(0);
  }

  private static HostTensor randomDouble(int[] shape, long seed) {
    java.util.SplittableRandom r = new java.util.SplittableRandom(seed);
    HostTensor t = HostTensor.zeros(DType.FLOAT64, Shape.of(shape));
    for (int i = 0; i < t.size(); i++) {
      t.setDouble(i, r.nextDouble() * 2 - 1);
    }
    return t;
  }

  @Test
  void statefulStatesCarryOverBetweenCallsUntilReset() {
    KerasTensor x = new InputLayer(Shape.of(2, T, F), DType.FLOAT32, "stateful_input").output();
    LSTM lstm = new LSTM(U).stateful(true);
    Model model = Model.of(List.of(x), List.of(lstm.apply(x)));
    assertEquals(5, lstm.weights().size(), "kernel, recurrent_kernel, bias, then the two states");
    assertEquals(2, lstm.nonTrainableWeights().size());
    Tensor xs = LayerTestSupport.random(DType.FLOAT32, new int[] {2, T, F}, 3);
    double[] first = model.predict(List.of(xs), quiet()).get(0).toDoubleArray();
    List<Tensor> states = List.of(lstm.getWeights().get(3), lstm.getWeights().get(4));
    double[] second = model.predict(List.of(xs), quiet()).get(0).toDoubleArray();
    // The second call starts from the first call's final states: the same as a plain LSTM with
    // the same weights given those states.
    KerasTensor in = Input.of(T, F);
    KerasTensor h0 = Input.of(U);
    KerasTensor c0 = Input.of(U);
    LSTM plain = new LSTM(U);
    Model fromStates = Model.of(List.of(in, h0, c0), List.of(plain.apply(in, h0, c0)));
    plain.setWeights(lstm.getWeights().subList(0, 3));
    assertClose(
        "second call",
        fromStates
            .predict(List.of(xs, states.get(0), states.get(1)), quiet())
            .get(0)
            .toDoubleArray(),
        second,
        1e-5);
    assertTrue(Math.abs(first[0] - second[0]) > 1e-4, "the states carried over");
    lstm.resetStates();
    assertClose(
        "after resetStates",
        first,
        model.predict(List.of(xs), quiet()).get(0).toDoubleArray(),
        1e-6);
    KilnException e =
        assertThrows(KilnException.class, () -> new LSTM(U).stateful(true).apply(Input.of(T, F)));
    assertTrue(e.getMessage().contains("fixed batch size"), e.getMessage());
  }

  @Test
  void maskingSkipsAllZeroStepsAsIfTheSequenceWereShorter() {
    // Steps 3 and 4 of every sample are all zeros: Masking hides them, so the last output is the
    // output after step 2, the same as an LSTM run over the first three steps alone.
    Tensor full = LayerTestSupport.random(DType.FLOAT32, new int[] {2, T, F}, 11);
    float[] v = full.toFloatArray();
    float[] head = new float[2 * 3 * F];
    for (int b = 0; b < 2; b++) {
      for (int t = 0; t < T; t++) {
        for (int f = 0; f < F; f++) {
          if (t >= 3) {
            v[(b * T + t) * F + f] = 0;
          } else {
            head[(b * 3 + t) * F + f] = v[(b * T + t) * F + f];
          }
        }
      }
    }
    KerasTensor x = Input.of(T, F);
    LSTM masked = new LSTM(U);
    Model withMask =
        Model.of(
            List.of(x), List.of(masked.apply(new dev.kiln.api.layers.core.Masking().apply(x))));
    KerasTensor x3 = Input.of(3, F);
    LSTM plain = new LSTM(U);
    Model shorter = Model.of(List.of(x3), List.of(plain.apply(x3)));
    plain.setWeights(masked.getWeights());
    double[] expected =
        shorter.predict(List.of(Tensor.of(head, 2, 3, F)), quiet()).get(0).toDoubleArray();
    double[] actual =
        withMask.predict(List.of(Tensor.of(v, 2, T, F)), quiet()).get(0).toDoubleArray();
    assertClose("masked trailing steps", expected, actual, 1e-6);
  }
}
