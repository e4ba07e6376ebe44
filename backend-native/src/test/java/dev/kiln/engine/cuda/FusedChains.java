package dev.kiln.engine.cuda;

import dev.kiln.engine.plan.MemoryPlan;
import dev.kiln.spi.DType;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.ir.BinaryFn;
import dev.kiln.spi.ir.CompareFn;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.UnaryFn;
import dev.kiln.spi.ir.Value;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.function.BiFunction;

/**
 * Graphs that are one fused chain each, covering every fusable op, broadcast and dtype, with inputs
 * that include NaN, infinities, signed zeros, denormals and huge values; and a runner that compiles
 * and runs one on a {@link CudaRuntime} and reads its output back. Shared by the emulated, source
 * and GPU tests of {@link FusedElementwise}.
 */
final class FusedChains {
  private FusedChains() {}

  /**
   * A graph of one output and its inputs' bytes.
   *
   * @param name for messages
   * @param graph the graph
   * @param inputs each input's bytes (little-endian float32, or one byte per bool)
   */
  record Case(String name, Graph graph, List<byte[]> inputs) {
    @Override
    public String toString() {
      return name;
    }
  }

  /**
   * The result of a run.
   *
   * @param output the output's bytes
   * @param launches the program's launches
   * @param plannedBytes the program's planned memory
   */
  record Run(byte[] output, List<CudaLaunch> launches, long plannedBytes) {
    long fusedLaunches() {
      return launches.stream().filter(l -> l.kernel().family().generated()).count();
    }
  }

  private static final float[] SPECIAL = {
    Float.NaN,
    Float.POSITIVE_INFINITY,
    Float.NEGATIVE_INFINITY,
    0f,
    -0f,
    1e-40f,
    -1e-40f,
    1e30f,
    -1e30f,
    1f,
    -1f,
    0.5f,
    -2.5f,
    2.5f
  };

  private static TensorType f(int... dims) {
    return TensorType.of(DType.FLOAT32, dims);
  }

  /** Every case: dense-relu-sigmoid, one per unary and binary fn, compares, selects, broadcasts. */
  static List<Case> all() {
    List<Case> cases = new ArrayList<>();
    cases.add(denseReluSigmoid());
    for (UnaryFn fn : UnaryFn.values()) {
      if (fn != UnaryFn.LOGICAL_NOT) {
        // fn(x + s) * z: the op between two others, a scalar and a trailing broadcast.
        cases.add(
            build(
                "unary " + fn,
                List.of(f(5, 7), f(), f(7)),
                (b, in) -> b.mul(b.unary(fn, b.add(in.get(0), in.get(1))), in.get(2))));
      }
    }
    for (BinaryFn fn : BinaryFn.values()) {
      if (!fn.logical()) {
        // fn(x * y, z) - c with z over the leading axis ([5, 1]) and c a middle block.
        cases.add(
            build(
                "binary " + fn,
                List.of(f(5, 6), f(5, 6), f(5, 1), f(6)),
                (b, in) -> b.sub(b.binary(fn, b.mul(in.get(0), in.get(1)), in.get(2)), in.get(3))));
      }
    }
    cases.add(
        build("softplus", List.of(f(64)), (b, in) -> b.unary(UnaryFn.LOG1P, b.exp(in.get(0)))));
    for (CompareFn fn : CompareFn.values()) {
      // A bool result: the compare is the chain's last node.
      cases.add(
          build(
              "compare " + fn,
              List.of(f(4, 9), f(4, 9), f(9)),
              (b, in) -> b.compare(fn, b.mul(in.get(0), in.get(1)), in.get(2))));
    }
    cases.add(
        build(
            "select of an outside condition",
            List.of(TensorType.of(DType.BOOL, 3, 8), f(3, 8), f(8)),
            (b, in) -> b.select(in.get(0), b.add(in.get(1), in.get(2)), b.neg(in.get(1)))));
    cases.add(
        build(
            "middle block",
            List.of(f(2, 3, 4), f(1, 3, 1), f(2, 1, 1)),
            (b, in) -> b.tanh(b.add(b.mul(in.get(0), in.get(1)), in.get(2)))));
    return cases;
  }

  /** {@code sigmoid(relu(x * w + b))}, relu being a compare and a select that both read x*w+b. */
  static Case denseReluSigmoid() {
    return build(
        "dense-relu-sigmoid",
        List.of(f(8, 16), f(8, 16), f(16)),
        (b, in) -> b.sigmoid(b.relu(b.add(b.mul(in.get(0), in.get(1)), in.get(2)))));
  }

  static Case build(
      String name, List<TensorType> types, BiFunction<GraphBuilder, List<Value>, Value> body) {
    GraphBuilder b = new GraphBuilder();
    List<Value> in = new ArrayList<>();
    for (TensorType t : types) {
      in.add(b.input(t));
    }
    Graph g = b.output(body.apply(b, in)).build();
    Random r = new Random(name.hashCode());
    List<byte[]> bytes = new ArrayList<>();
    for (TensorType t : types) {
      bytes.add(values(t, r));
    }
    return new Case(name, g, bytes);
  }

  /** Values of type {@code t}: specials first, then uniform in [-4, 4]; bools at random. */
  static byte[] values(TensorType t, Random r) {
    int n = (int) t.shape().size();
    if (t.dtype() == DType.BOOL) {
      byte[] b = new byte[n];
      for (int i = 0; i < n; i++) {
        b[i] = (byte) (r.nextBoolean() ? 1 : 0);
      }
      return b;
    }
    MemorySegment s = MemorySegment.ofArray(new byte[4 * n]);
    int shift = r.nextInt(SPECIAL.length);
    for (int i = 0; i < n; i++) {
      float v =
          n > SPECIAL.length && i < SPECIAL.length
              ? SPECIAL[(i + shift) % SPECIAL.length]
              : (float) (r.nextDouble() * 8 - 4);
      s.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, v);
    }
    return s.toArray(ValueLayout.JAVA_BYTE);
  }

  /**
   * Float32 values uniform in [-1, 1], without specials: for graphs with matmuls, where one NaN
   * would spread over whole rows and hide every other difference.
   */
  static byte[] moderate(TensorType t, Random r) {
    int n = (int) t.shape().size();
    MemorySegment s = MemorySegment.ofArray(new byte[4 * n]);
    for (int i = 0; i < n; i++) {
      s.setAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i, (float) (r.nextDouble() * 2 - 1));
    }
    return s.toArray(ValueLayout.JAVA_BYTE);
  }

  /** Compiles {@code g} for {@code runtime}, runs it once on {@code inputs}, reads its output. */
  static Run run(CudaRuntime runtime, Graph g, List<byte[]> inputs) {
    CudaAllocator allocator = new CudaAllocator(runtime);
    try (CudaProgram p = new CudaProgram(g, Set.of(), runtime, allocator)) {
      long[] at = new long[inputs.size()];
      for (int i = 0; i < at.length; i++) {
        byte[] x = inputs.get(i);
        at[i] = allocator.allocate(Math.max(1, x.length), () -> "a test input");
        runtime.copyToDevice(MemorySegment.ofArray(x), at[i], x.length);
        p.bindInput(i, at[i]);
      }
      p.run(
          id -> {
            throw new AssertionError("no variables here: " + id);
          });
      Value out = g.outputs().get(0);
      byte[] y = new byte[(int) MemoryPlan.bytes(out)];
      runtime.copyToHost(p.address(out), MemorySegment.ofArray(y), y.length);
      for (long a : at) {
        allocator.release(a);
      }
      return new Run(y, p.launches(), p.plannedBytes());
    }
  }

  /** The dtype of a case's output. */
  static DType outputDtype(Case c) {
    return c.graph().outputs().get(0).dtype();
  }

  /** When an actual float counts as the expected one. */
  @FunctionalInterface
  interface Close {
    boolean test(float expected, float actual);
  }

  /**
   * Asserts the same values, bit for bit but any NaN equal to any other: NaN payloads and signs
   * differ between Java's interpreted and compiled arithmetic, and on a GPU between instructions.
   * Prints the first difference's index, expected and actual values.
   */
  static void assertSameValues(Case c, byte[] expected, byte[] actual, String what) {
    assertValues(
        c, expected, actual, what, (x, y) -> Float.floatToIntBits(x) == Float.floatToIntBits(y));
  }

  /**
   * Asserts that every float of a case's output is {@code close} to the expected one (a boolean
   * output must match exactly), naming the first that is not, with both values.
   */
  static void assertValues(Case c, byte[] expected, byte[] actual, String what, Close close) {
    org.junit.jupiter.api.Assertions.assertEquals(expected.length, actual.length, what);
    if (outputDtype(c) == DType.BOOL) {
      org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual, c + ": " + what);
      return;
    }
    MemorySegment e = MemorySegment.ofArray(expected);
    MemorySegment a = MemorySegment.ofArray(actual);
    for (int i = 0; i < expected.length / 4; i++) {
      float x = e.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
      float y = a.getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, i);
      if (!close.test(x, y)) {
        org.junit.jupiter.api.Assertions.fail(
            c + ": " + what + ": element " + i + " expected " + x + " but was " + y);
      }
    }
  }
}
