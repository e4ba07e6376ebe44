package dev.kiln.spi.testkit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.spi.DType;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.TensorType;
import dev.kiln.spi.autodiff.Autodiff;
import dev.kiln.spi.backend.Backend;
import dev.kiln.spi.backend.BackendException;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.backend.DeviceTensor;
import dev.kiln.spi.backend.Executable;
import dev.kiln.spi.ir.Graph;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;

/**
 * The conformance kit every backend runs. A backend's test subclasses it and says how to open the
 * backend:
 *
 * {@snippet :
 * class NativeConformanceTest extends ConformanceSuite {
 *   @Override protected Backend openBackend() { return Backends.open("native"); }
 * }
 * }
 *
 * <p>It checks every op's forward pass against the {@link ReferenceEvaluator} at awkward sizes and
 * in each supported dtype, every gradient against central finite differences in float64, and whole
 * training steps against the reference. A backend names the cases it knowingly skips in one file on
 * its test class path, {@value #SKIP_FILE}: {@code case.name.prefix* = reason}. A skipped case is
 * reported as aborted with its reason, never silently passed; a skip line that matches no case
 * fails the suite.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ConformanceSuite {
  /** The skip file's class path resource name. */
  public static final String SKIP_FILE = "kiln-conformance-skips.properties";

  private static final int FD_SAMPLES_PER_INPUT = 10;
  private static final double FD_STEP = 1e-6;

  private final ReferenceEvaluator reference = new ReferenceEvaluator();
  private Backend backend;
  private Map<String, String> skips;

  /** Opens the backend under test; called once per suite. */
  protected abstract Backend openBackend();

  @BeforeAll
  void open() {
    backend = openBackend();
    skips = loadSkips();
  }

  @AfterAll
  void close() {
    if (backend != null) {
      backend.close();
    }
  }

  /** The opened backend, for subclasses' own tests. */
  protected Backend backend() {
    return backend;
  }

  private Map<String, String> loadSkips() {
    Properties p = new Properties();
    try (InputStream in = getClass().getClassLoader().getResourceAsStream(SKIP_FILE)) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Map<String, String> m = new LinkedHashMap<>();
    for (String k : p.stringPropertyNames()) {
      String reason = p.getProperty(k).trim();
      if (reason.isEmpty()) {
        throw new IllegalStateException(SKIP_FILE + ": the skip of '" + k + "' gives no reason");
      }
      m.put(k, reason);
    }
    return m;
  }

  private void skipIfListed(String name) {
    for (Map.Entry<String, String> e : skips.entrySet()) {
      if (matches(e.getKey(), name)) {
        Assumptions.abort("skipped by " + SKIP_FILE + ": " + e.getValue());
      }
    }
  }

  private static boolean matches(String pattern, String name) {
    return pattern.endsWith("*")
        ? name.startsWith(pattern.substring(0, pattern.length() - 1))
        : name.equals(pattern);
  }

  /** Every case name the suite runs, for the skip-file check. */
  static List<String> allCaseNames() {
    List<String> names = new ArrayList<>();
    OpCases.all().forEach(c -> names.add(c.name()));
    GradientCases.all().forEach(c -> names.add(c.name()));
    WholeGraphs.all().forEach(c -> names.add(c.name()));
    return names;
  }

  // ---------------------------------------------------------------- the tests

  @Test
  void everySkipMatchesACase() {
    List<String> names = allCaseNames();
    for (String pattern : skips.keySet()) {
      assertTrue(
          names.stream().anyMatch(n -> matches(pattern, n)),
          SKIP_FILE + " skips '" + pattern + "', which matches no conformance case");
    }
  }

  @TestFactory
  Stream<DynamicTest> forward() {
    return OpCases.all().stream()
        .map(c -> DynamicTest.dynamicTest(c.name(), () -> checkForward(c)));
  }

  @TestFactory
  Stream<DynamicTest> gradients() {
    return GradientCases.all().stream()
        .map(c -> DynamicTest.dynamicTest(c.name(), () -> checkGradient(c)));
  }

  @TestFactory
  Stream<DynamicTest> wholeGraphs() {
    return WholeGraphs.all().stream()
        .map(c -> DynamicTest.dynamicTest(c.name(), () -> checkTrainStep(c)));
  }

  @Test
  void variablesPersistAcrossRunsAndExecutables() {
    String id = "conformance/counter";
    backend.createVariable(id, HostTensor.of(Shape.of(2), new float[] {1, 2}));
    try {
      GraphBuilder b = new GraphBuilder();
      Value v = b.variable(id, TensorType.of(DType.FLOAT32, 2));
      b.update(id, b.add(v, b.scalar(1, DType.FLOAT32)));
      Graph inc = b.output(v).build();
      GraphBuilder r = new GraphBuilder();
      Graph read = r.output(r.variable(id, TensorType.of(DType.FLOAT32, 2))).build();
      try (Executable e = backend.compile(inc, CompileOptions.defaults());
          Executable e2 = backend.compile(read, CompileOptions.defaults())) {
        assertEquals(
            1f,
            e.runHost(List.of()).get(0).toFloatArray()[0],
            "the first run reads the initial value");
        assertEquals(2f, e.runHost(List.of()).get(0).toFloatArray()[0], "the update persists");
        assertEquals(
            3f, e2.runHost(List.of()).get(0).toFloatArray()[0], "another executable sees it");
        assertEquals(4f, backend.variable(id).orElseThrow().read().toFloatArray()[1]);
      }
    } finally {
      backend.deleteVariable(id);
    }
  }

  @Test
  void updatesSeeValuesFromBeforeTheRun() {
    backend.createVariable("conformance/a", HostTensor.scalar(1));
    backend.createVariable("conformance/b", HostTensor.scalar(10));
    try {
      GraphBuilder b = new GraphBuilder();
      TensorType s = TensorType.of(DType.FLOAT32);
      Value a = b.variable("conformance/a", s);
      Value c = b.variable("conformance/b", s);
      // A swap: each update must read the other variable's old value.
      b.update("conformance/a", c).update("conformance/b", a);
      try (Executable e = backend.compile(b.build(), CompileOptions.defaults())) {
        e.runHost(List.of());
      }
      assertEquals(10f, backend.variable("conformance/a").orElseThrow().read().toFloatArray()[0]);
      assertEquals(1f, backend.variable("conformance/b").orElseThrow().read().toFloatArray()[0]);
    } finally {
      backend.deleteVariable("conformance/a");
      backend.deleteVariable("conformance/b");
    }
  }

  @Test
  void wrongInputTypeNamesTheInputAndBothTypes() {
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(TensorType.of(DType.FLOAT32, 2, 3));
    try (Executable e = backend.compile(b.output(b.neg(x)).build(), CompileOptions.defaults())) {
      BackendException ex =
          assertThrows(
              BackendException.class,
              () -> e.runHost(List.of(HostTensor.zeros(DType.FLOAT32, Shape.of(2, 4)))));
      assertTrue(ex.getMessage().contains("input 0"), ex.getMessage());
      assertTrue(ex.getMessage().contains("float32(2, 3)"), ex.getMessage());
      assertTrue(ex.getMessage().contains("float32(2, 4)"), ex.getMessage());
    }
  }

  @Test
  void missingVariableIsNamed() {
    GraphBuilder b = new GraphBuilder();
    Value v = b.variable("conformance/absent", TensorType.of(DType.FLOAT32, 3));
    try (Executable e = backend.compile(b.output(v).build(), CompileOptions.defaults())) {
      BackendException ex = assertThrows(BackendException.class, () -> e.runHost(List.of()));
      assertTrue(ex.getMessage().contains("conformance/absent"), ex.getMessage());
    }
  }

  @Test
  void unknownDimensionsAreRejectedAtCompileTime() {
    GraphBuilder b = new GraphBuilder();
    Value x = b.input(TensorType.of(DType.FLOAT32, Shape.UNKNOWN, 3));
    BackendException ex =
        assertThrows(
            BackendException.class,
            () -> backend.compile(b.output(b.neg(x)).build(), CompileOptions.defaults()));
    assertTrue(ex.getMessage().contains("(None, 3)"), ex.getMessage());
  }

  @Test
  void tensorsRoundTripInEveryDtype() {
    SplittableRandom rnd = new SplittableRandom(3);
    for (DType d : DType.values()) {
      HostTensor h = Domain.ANY.sample(TensorType.of(d, 3, 17), rnd);
      try (DeviceTensor t = backend.upload(h)) {
        assertEquals(h, backend.download(t), "round trip of " + d);
      }
    }
  }

  // ---------------------------------------------------------------- checks

  private static List<HostTensor> inputsFor(OpCase c, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed ^ c.name().hashCode());
    List<HostTensor> in = new ArrayList<>();
    for (int i = 0; i < c.inputs().size(); i++) {
      in.add(c.domains().get(i).sample(c.inputs().get(i), rnd));
    }
    return in;
  }

  private List<HostTensor> runOnBackend(Graph g, List<HostTensor> in) {
    try (Executable e = backend.compile(g, CompileOptions.defaults())) {
      return e.runHost(in);
    }
  }

  void checkForward(OpCase c) {
    skipIfListed(c.name());
    Graph g = c.graph();
    List<HostTensor> in = inputsFor(c, 1);
    List<HostTensor> expected = reference.run(g, in);
    List<HostTensor> actual = runOnBackend(g, in);
    assertEquals(expected.size(), actual.size(), c.name() + ": number of outputs");
    for (int i = 0; i < expected.size(); i++) {
      double[] tol = Compare.tolerance(expected.get(i).dtype(), c.terms());
      Compare.assertClose(
          c.name() + " output " + i, expected.get(i), actual.get(i), tol[0], tol[1]);
    }
  }

  void checkGradient(OpCase c) {
    skipIfListed(c.name());
    SplittableRandom rnd = new SplittableRandom(c.name().hashCode());
    // The loss graph: sum over outputs of <out, w> with fixed random w.
    GraphBuilder b = new GraphBuilder();
    List<Value> in = new ArrayList<>();
    for (TensorType t : c.inputs()) {
      in.add(b.input(t));
    }
    List<Value> outs = c.body().apply(b, in);
    Value loss = null;
    for (Value o : outs) {
      if (!o.dtype().isFloating()) {
        continue;
      }
      Value w = b.constant(Domain.ANY.sample(o.type(), rnd));
      Value term = b.sumAll(b.mul(o, w));
      loss = loss == null ? term : b.add(loss, term);
    }
    List<Value> wrt = new ArrayList<>();
    List<Integer> wrtIndex = new ArrayList<>();
    for (int i = 0; i < in.size(); i++) {
      if (in.get(i).dtype().isFloating()) {
        wrt.add(in.get(i));
        wrtIndex.add(i);
      }
    }
    // build() copies the nodes so far: the loss-only graph has no gradient nodes.
    Graph lossOnly = b.output(loss).build();
    List<Value> grads = Autodiff.gradients(b, loss, wrt);
    Graph withGrads = b.output(grads.toArray(Value[]::new)).build();

    List<HostTensor> inputs = inputsFor(c, 2);
    List<HostTensor> analytic;
    try (Executable e = backend.compile(withGrads, CompileOptions.defaults())) {
      analytic = e.runHost(inputs);
    }
    try (Executable f = backend.compile(lossOnly, CompileOptions.defaults())) {
      for (int k = 0; k < wrt.size(); k++) {
        int idx = wrtIndex.get(k);
        HostTensor x = inputs.get(idx);
        HostTensor g = analytic.get(1 + k);
        int n = x.size();
        int samples = Math.min(n, FD_SAMPLES_PER_INPUT);
        for (int s = 0; s < samples; s++) {
          int e = n <= FD_SAMPLES_PER_INPUT ? s : rnd.nextInt(n);
          double x0 = x.getDouble(e);
          double h = FD_STEP * Math.max(1, Math.abs(x0));
          List<HostTensor> plus = perturbed(inputs, idx, e, x0 + h);
          List<HostTensor> minus = perturbed(inputs, idx, e, x0 - h);
          double lp = f.runHost(plus).get(0).getDouble(0);
          double lm = f.runHost(minus).get(0).getDouble(0);
          double numeric = (lp - lm) / (2 * h);
          double exact = g.getDouble(e);
          double tol = 1e-6 + 1e-5 * Math.abs(numeric);
          if (!(Math.abs(numeric - exact) <= tol)) {
            throw new AssertionError(
                c.name()
                    + ": gradient of input "
                    + idx
                    + " at flat index "
                    + e
                    + ": autodiff gives "
                    + exact
                    + ", central finite difference gives "
                    + numeric
                    + " (difference "
                    + Math.abs(numeric - exact)
                    + ", tolerance "
                    + tol
                    + ")");
          }
        }
      }
    }
  }

  private static List<HostTensor> perturbed(
      List<HostTensor> inputs, int which, int flat, double value) {
    List<HostTensor> out = new ArrayList<>(inputs);
    HostTensor t = inputs.get(which).copy();
    t.setDouble(flat, value);
    out.set(which, t);
    return out;
  }

  void checkTrainStep(WholeGraphs.TrainStep c) {
    skipIfListed(c.name());
    Map<String, HostTensor> refVars = new LinkedHashMap<>(c.variables());
    c.variables().forEach(backend::createVariable);
    try (Executable e = backend.compile(c.step(), CompileOptions.defaults())) {
      for (int s = 0; s < c.batches().size(); s++) {
        List<HostTensor> batch = c.batches().get(s);
        ReferenceEvaluator.Result expected = reference.run(c.step(), batch, refVars);
        refVars.putAll(expected.updates());
        List<HostTensor> actual = e.runHost(batch);
        for (int o = 0; o < actual.size(); o++) {
          Compare.assertClose(
              c.name() + " step " + s + " output " + o,
              expected.outputs().get(o),
              actual.get(o),
              1e-4,
              1e-5);
        }
      }
      for (Map.Entry<String, HostTensor> v : refVars.entrySet()) {
        Compare.assertClose(
            c.name() + " variable '" + v.getKey() + "' after " + c.batches().size() + " steps",
            v.getValue(),
            backend.variable(v.getKey()).orElseThrow().read(),
            1e-4,
            1e-5);
      }
    } finally {
      c.variables().keySet().forEach(backend::deleteVariable);
    }
  }
}
