package dev.kiln.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import dev.kiln.api.ops.Ops;
import dev.kiln.spi.HostTensor;
import dev.kiln.spi.Shape;
import dev.kiln.spi.backend.CompileOptions;
import dev.kiln.spi.ir.GraphBuilder;
import dev.kiln.spi.ir.Value;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiFunction;

/** Helpers for api tests: run ops on the backend, read golden files, compare with tolerance. */
public final class ApiTestSupport {
  private ApiTestSupport() {}

  /** Traces {@code body} over graph inputs of the given tensors, compiles it and runs it once. */
  public static List<HostTensor> run(
      BiFunction<Ops, List<Value>, List<Value>> body, List<HostTensor> inputs) {
    GraphBuilder b = new GraphBuilder();
    List<Value> in = new ArrayList<>();
    for (HostTensor t : inputs) {
      in.add(b.input(t.type()));
    }
    Ops ops = new Ops(b, false, b.constant(HostTensor.of(Shape.of(2), new long[] {1, 0})));
    List<Value> out = body.apply(ops, in);
    ops.assignments().forEach((w, v) -> b.update(w.id(), v));
    try (var ex =
        Kiln.backend()
            .compile(b.output(out.toArray(Value[]::new)).build(), CompileOptions.defaults())) {
      return ex.runHost(inputs);
    }
  }

  /** One golden case: its inputs and outputs. */
  public record Golden(String name, List<HostTensor> inputs, List<HostTensor> outputs) {}

  /** Reads a golden file of "case", "in DIMS : values" and "out DIMS : values" lines. */
  public static Map<String, Golden> golden(String resource) {
    Map<String, Golden> cases = new LinkedHashMap<>();
    try (InputStream in = ApiTestSupport.class.getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing test resource " + resource);
      }
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      Golden cur = null;
      for (String line : text.split("\n")) {
        if (line.startsWith("case ")) {
          cur = new Golden(line.substring(5).trim(), new ArrayList<>(), new ArrayList<>());
          cases.put(cur.name(), cur);
        } else if (line.startsWith("in ") || line.startsWith("out ")) {
          String[] parts = line.split(" : ");
          String dims = parts[0].substring(parts[0].indexOf(' ') + 1).trim();
          int[] shape =
              dims.equals("-")
                  ? new int[0]
                  : java.util.Arrays.stream(dims.split(",")).mapToInt(Integer::parseInt).toArray();
          String[] vs = parts[1].trim().split(" ");
          float[] v = new float[vs.length];
          for (int i = 0; i < vs.length; i++) {
            v[i] = Float.parseFloat(vs[i]);
          }
          HostTensor t = HostTensor.of(Shape.of(shape), v);
          (line.startsWith("in ") ? cur.inputs() : cur.outputs()).add(t);
        }
      }
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    return cases;
  }

  /** Asserts elementwise closeness; the message names the index and both values. */
  public static void assertClose(String what, double[] expected, double[] actual, double tol) {
    assertEquals(expected.length, actual.length, what + ": length");
    double worst = 0;
    int at = -1;
    for (int i = 0; i < expected.length; i++) {
      double d = Math.abs(expected[i] - actual[i]);
      double lim = tol * Math.max(1, Math.abs(expected[i]));
      if (!(d <= lim) && d > worst) {
        worst = d;
        at = i;
      }
    }
    if (at >= 0) {
      fail(
          what
              + ": index "
              + at
              + " expected "
              + expected[at]
              + " but was "
              + actual[at]
              + " (max difference "
              + worst
              + ")");
    }
  }

  /** Scalar closeness. */
  public static void assertClose(String what, double expected, double actual, double tol) {
    assertClose(what, new double[] {expected}, new double[] {actual}, tol);
  }
}
